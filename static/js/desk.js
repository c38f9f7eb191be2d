// The duty desk: "choose all" for the validation queue (the form works without it).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("choose-all");
  if (!all) return;
  const boxes = Array.from(document.querySelectorAll('input[name="incident"]'));
  if (!boxes.length) return;
  all.hidden = false;
  const sync = () => {
    const chosen = boxes.filter((box) => box.checked).length;
    all.checked = chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
  };
  all.addEventListener("change", () => {
    boxes.forEach((box) => { box.checked = all.checked; });
    sync();
  });
  boxes.forEach((box) => box.addEventListener("change", sync));
});
