# Django's Hebrew formats leave numbers ungrouped ("6050"); Israeli usage groups them by
# thousands with a comma ("6,050"), as the sitrep's figures need to be read at a glance.
NUMBER_GROUPING = 3
