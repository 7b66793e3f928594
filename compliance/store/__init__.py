"""The store: the database (engine: engine, migrations/, tables), what `check` reads with sqlite3
alone (reader), the shared writer of every source's results with its plausibility rules (writer,
plausibility), the content-addressed archive of response bodies, and the history of runs."""
