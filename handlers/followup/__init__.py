"""After 办结: surveys (回访) and their schedule, reopening on 不满意, the morning digest."""
