-- description = "Pages by total views over every day."
-- checks = [{ unique = "page" }]
SELECT page, count(*) AS views
FROM page_views
GROUP BY page
ORDER BY views DESC
