"""The live-trading core: session manager, runner, order execution and the go-live gate."""
