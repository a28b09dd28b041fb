"""Uploads: audio and cover files streamed into the content store."""
