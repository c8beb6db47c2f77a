"""Analytics (数据富矿): the rates, duplicates (并单), hotspots (诉求热点), bottlenecks (问题堵点), reports."""
