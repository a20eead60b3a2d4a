"""The district's organisation and map: units, grids, workers and place names as given
(``records``), checked and planned against the database (``planning``), written in one
transaction (``applying``); the district's files (``files``), grid boundaries (``geometry``), the
gazetteer the understanding reads (``gazetteer``), the demo district (``setup``) and whether the
district is set up at all (``readiness``)."""
