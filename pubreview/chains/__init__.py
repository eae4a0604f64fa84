"""Review chains the office configures: which steps an item passes, who decides each one."""
