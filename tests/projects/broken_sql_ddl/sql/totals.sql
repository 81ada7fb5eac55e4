-- description = "DDL is not a query."
CREATE TABLE totals AS SELECT 1 AS total
