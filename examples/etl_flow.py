"""A linear ETL: extract raw records, clean them, load a summary.

Standard library only, so it runs anywhere with python3:

    metaflow-studio run examples/etl_flow.py --rows 500
"""
import random
import statistics

from metaflow import FlowSpec, Parameter, step


class EtlFlow(FlowSpec):
    """Extract, transform and load a small batch of sensor readings."""

    rows = Parameter("rows", type=int, default=200, help="How many records to extract.")
    seed = Parameter("seed", type=int, default=7, help="Random seed, for reproducible batches.")

    @step
    def start(self):
        """Extract: generate a batch of raw readings (some of them broken)."""
        rng = random.Random(self.seed)
        self.raw = [
            {"sensor": f"s{rng.randint(1, 5)}", "value": rng.gauss(20, 5) if rng.random() > 0.05 else None}
            for _ in range(self.rows)
        ]
        print(f"extracted {len(self.raw)} records")
        self.next(self.transform)

    @step
    def transform(self):
        """Transform: drop broken readings and group by sensor."""
        self.by_sensor = {}
        for record in self.raw:
            if record["value"] is not None:
                self.by_sensor.setdefault(record["sensor"], []).append(record["value"])
        self.dropped = sum(1 for r in self.raw if r["value"] is None)
        print(f"kept {self.rows - self.dropped} records, dropped {self.dropped}")
        self.next(self.load)

    @step
    def load(self):
        """Load: summarise each sensor."""
        self.summary = {
            sensor: {"n": len(values), "mean": round(statistics.mean(values), 2)}
            for sensor, values in sorted(self.by_sensor.items())
        }
        self.next(self.end)

    @step
    def end(self):
        for sensor, stats in self.summary.items():
            print(f"{sensor}: n={stats['n']} mean={stats['mean']}")


if __name__ == "__main__":
    EtlFlow()
