"""18项台账: the catalogue of standard ledgers (generated from the areas' ledgers through a registry reporting fills, or kept by the office), completeness, spot checks (随时抽查)."""
