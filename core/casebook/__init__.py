"""典型案例 · 指导案例: the guidance case library published downward, anonymised, tagged, linked from records as 参照案例."""
