import os
import subprocess
import sys
import time

from metaflow import FlowSpec, Parameter, step

print("printed while importing")


class NoisyFlow(FlowSpec):
    how = Parameter("how", default="crash")

    @step
    def start(self):
        print("first line")
        sys.stdout.write("partial line without newline")
        sys.stdout.flush()
        if self.how == "crash":
            os._exit(3)
        if self.how == "sleep":
            time.sleep(float(os.environ.get("SLEEP", "0.5")))
        if self.how == "background":
            # A helper left running that still holds the task's stdout and stderr.
            helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            with open(os.environ["HELPER_PID_FILE"], "w") as f:
                f.write(str(helper.pid))
        if self.how == "rendezvous":
            # Finishes only if every task of the group runs at the same time.
            folder, count = os.environ["RENDEZVOUS_DIR"], int(os.environ["RENDEZVOUS_COUNT"])
            open(os.path.join(folder, str(os.getpid())), "w").close()
            deadline = time.time() + 20
            while len(os.listdir(folder)) < count:
                if time.time() > deadline:
                    raise RuntimeError("the other tasks never ran concurrently")
                time.sleep(0.01)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NoisyFlow()
