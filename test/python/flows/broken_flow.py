from metaflow import FlowSpec, step

raise RuntimeError("this flow file fails on import")
