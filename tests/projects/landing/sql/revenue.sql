-- description = "Per day and customer: orders and revenue."
-- partitions = { kind = "daily", start = "2025-01-01", end = "2025-01-05" }
-- io = "duckdb"
-- checks = [{ not_null = "customer" }, { row_count = { min = 1 } }]
SELECT
    CAST($partition_key AS DATE) AS day,
    customer,
    count(*) AS orders,
    round(sum(amount), 2) AS revenue
FROM clean
GROUP BY customer
ORDER BY customer
