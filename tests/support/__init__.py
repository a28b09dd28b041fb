"""Test-only helpers shared by the tests and the benchmarks (not part of the installed
package): real media files generated in memory, and an anvil node on a free port."""
