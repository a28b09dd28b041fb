"""Product analytics: the web app's event sink and per-song summaries."""
