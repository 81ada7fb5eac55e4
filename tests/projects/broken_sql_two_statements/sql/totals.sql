-- description = "Two SELECTs in one asset."
SELECT 1 AS total;
SELECT 2 AS total
