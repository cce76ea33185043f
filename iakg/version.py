"""The package's version, written once: pyproject reads it (hatch), ``iakg.__version__`` gives it, and the
layers that stamp it (the dataset's description, a release's manifest, validation records) import it from here.
The dataset's own version (what a release of the content is called) is in releases/releases.json: see
:mod:`iakg.io.releases`."""

__version__ = "0.3.0"
