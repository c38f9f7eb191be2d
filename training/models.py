"""Joint patrols, exercises and capacity-building programmes."""
