"""Songs: the discovery listing, song details, describing a new song."""
