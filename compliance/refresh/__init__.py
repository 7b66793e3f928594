"""The runs that write the store: a refresh of the sources or an import of a saved file (run), a big
file imported as a stream (stream_import), findings withdrawn by hand (withdraw), and what a killed
run leaves behind (leftovers); one at a time, under the refresh lock."""
