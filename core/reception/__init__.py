"""轮流坐班接访 · 三访合一: the reception room's rota by working day and the receptions (接访、下访、约访), a reception raising a report registered as a petition in one step."""
