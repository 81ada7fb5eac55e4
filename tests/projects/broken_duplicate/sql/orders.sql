-- description = "A second asset named orders."
SELECT 1 AS order_id
