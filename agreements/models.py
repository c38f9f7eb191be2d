"""Treaties, memoranda, SOPs and the data-sharing clauses that decide what partners see."""
