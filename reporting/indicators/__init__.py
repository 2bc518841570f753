"""Indicators (考核指标): weighted formulas over the roll-up figures, defined by the province."""
