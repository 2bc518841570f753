"""联系指导: the county's 纪检监察室 each guiding their townships: figures, ledger completeness, regular meetings and guidance visits."""
