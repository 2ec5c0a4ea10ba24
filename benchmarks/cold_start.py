"""Cold start of every function: import of its handler module plus its first DynamoDB client.

Each sample is a fresh interpreter (a subprocess) that times itself with `time.perf_counter`:

- a function: `import functions.<name>.app` (the module `Handler: app.lambda_handler` names inside
  the function's CodeUri), then what its first request does before the first DynamoDB call: read the
  settings (`container.settings`, which binds the table) and create PynamoDB's botocore client,
  `TableItem._get_connection().connection.client`;
- the baseline: `import boto3; boto3.client("dynamodb")`.

Interpreter start-up (site, encodings) is outside the timed part and alike for both. The children
get the same environment: the template's function environment, a region and fake credentials (no
network call is needed to create a client) and PYTHONPATH = repo root + layers/shared; each child
reports whether it imported anything a Lambda would not have (pytest, moto, tests...). Bytecode
goes to a private PYTHONPYCACHEPREFIX (nothing is written into the repository), filled by one
discarded warm-up round: every target is measured with all its bytecode cached. Samples are
interleaved (baseline, every function, again...), so drift hits every target alike. The median of
N samples is compared with the baseline's median.

When a function misses the target, `python -X importtime` shows which modules, beyond those
`import boto3` loads anyway, its import adds (self time summed per top-level package).

`--as-packaged` measures instead what a package without usable bytecode costs: only the standard
library is precompiled, everything else (site-packages, the layer, the function) is compiled from
source at every start. That is the Lambda case when the layer ships no .pyc, or only .pyc whose
timestamps cannot match (the read-only /opt and /var/task cannot cache the result either).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._support import LAYER_DIR, REPO_ROOT, markdown_table, median, ms, verdict

TARGET_RATIO = 1.5
FORBIDDEN = ("pytest", "_pytest", "moto", "tests", "hypothesis", "benchmarks")

_REPORT = """
_t2 = time.perf_counter()
_seen = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(",")))
print(_t1 - _t0, _t2 - _t1, ",".join(_seen) or "-")
"""

FUNCTION_CHILD = (
    """
import sys
import time
_t0 = time.perf_counter()
__import__(sys.argv[1])
_t1 = time.perf_counter()
from therapy_booking.wiring import container
container.settings
from therapy_booking.adapters.dynamodb.models import TableItem
TableItem._get_connection().connection.client
"""
    + _REPORT
)

BASELINE_CHILD = (
    """
import sys
import time
_t0 = time.perf_counter()
import boto3
_t1 = time.perf_counter()
boto3.client("dynamodb")
"""
    + _REPORT
)


@dataclass(frozen=True)
class Target:
    name: str
    module: str | None  # None: the boto3 baseline

    @property
    def label(self) -> str:
        return self.name if self.module is None else f"{self.name} (`{self.module}`)"


@dataclass(frozen=True)
class Sample:
    import_seconds: float
    client_seconds: float

    @property
    def total(self) -> float:
        return self.import_seconds + self.client_seconds


@dataclass
class TargetResult:
    target: Target
    samples: list[Sample] = field(default_factory=list)

    @property
    def total(self) -> float:
        return median([s.total for s in self.samples])

    @property
    def import_seconds(self) -> float:
        return median([s.import_seconds for s in self.samples])

    @property
    def client_seconds(self) -> float:
        return median([s.client_seconds for s in self.samples])


@dataclass
class ColdStartResult:
    repeats: int
    baseline: TargetResult
    functions: list[TargetResult]
    as_packaged: bool = False
    # module -> what it imports beyond boto3, for functions over target
    extra_imports: dict[str, ImportBreakdown] = field(default_factory=dict)

    def ratio(self, result: TargetResult) -> float:
        return result.total / self.baseline.total

    def met(self, result: TargetResult) -> bool:
        return self.ratio(result) <= TARGET_RATIO

    @property
    def all_met(self) -> bool:
        return all(self.met(r) for r in self.functions)


def function_targets() -> list[Target]:
    """Every AWS::Serverless::Function of template.yaml, as the module its handler lives in."""
    from tests.support.template import load_template, resources_of_type

    default_handler = load_template().get("Globals", {}).get("Function", {}).get("Handler", "app.lambda_handler")
    targets = []
    for name, resource in sorted(resources_of_type("AWS::Serverless::Function").items()):
        properties = resource["Properties"]
        package = properties["CodeUri"].strip("/").replace("/", ".")
        handler_module = properties.get("Handler", default_handler).rsplit(".", 1)[0]
        targets.append(Target(name, f"{package}.{handler_module}"))
    return targets


def child_environment(pycache: str, as_packaged: bool = False) -> dict[str, str]:
    """The template's function environment (parameter defaults), a region, fake credentials.

    `as_packaged`: no bytecode is written, so only what `pycache` already holds is used.
    """
    from tests.support.template import load_template

    template = load_template()
    parameters = template.get("Parameters", {})
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    env: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, dict) and "Ref" in value and "Default" in parameters.get(value["Ref"], {}):
            env[key] = str(parameters[value["Ref"]]["Default"])
        elif isinstance(value, str | int | float):
            env[key] = str(value)
        else:
            env[key] = f"bench-{key.lower()}"  # e.g. TABLE_NAME: !Ref Table
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(Path.home()),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(LAYER_DIR)]),
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_REGION": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPYCACHEPREFIX": pycache,
        }
    )
    if as_packaged:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_child(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # a fresh interpreter per sample
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args[-2:]} failed:\n{done.stderr}")
    return done


def sample(target: Target, env: dict[str, str]) -> Sample:
    code = BASELINE_CHILD if target.module is None else FUNCTION_CHILD
    done = _run_child(["-c", code, target.module or "-", ",".join(FORBIDDEN)], env)
    import_s, client_s, seen = done.stdout.split()[-3:]
    if seen != "-":
        raise RuntimeError(f"{target.label} imported {seen}, which a Lambda would not have")
    return Sample(float(import_s), float(client_s))


def _importtime(statement: str, env: dict[str, str]) -> dict[str, int]:
    """Self import time (microseconds) of every module `statement` imports."""
    done = _run_child(["-X", "importtime", "-c", statement], env)
    selves: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        selves[name.strip()] = int(self_us)
    return selves


@dataclass(frozen=True)
class ImportBreakdown:
    """What a function imports beyond `import boto3`: importtime self ms per package and per module."""

    packages: list[tuple[str, float]]
    modules: list[tuple[str, float]]

    @property
    def total(self) -> float:
        return sum(value for _, value in self.packages)


def _medians(samples: list[dict[str, float]]) -> list[tuple[str, float]]:
    names = {name for sample in samples for name in sample}
    rows = [(name, median([sample.get(name, 0.0) for sample in samples])) for name in names]
    return sorted(rows, key=lambda row: -row[1])


def extra_imports(module: str, env: dict[str, str], repeats: int = 3) -> ImportBreakdown:
    """Modules the function imports beyond `import boto3`'s, with their self time (ms).

    Medians of `repeats` runs; -X importtime inflates every figure somewhat, compare them with each other.
    """
    baseline = set(_importtime("import boto3", env))
    per_package: list[dict[str, float]] = []
    per_module: list[dict[str, float]] = []
    for _ in range(repeats):
        packages: dict[str, float] = defaultdict(float)
        modules: dict[str, float] = {}
        for name, self_us in _importtime(f"import {module}", env).items():
            if name not in baseline:
                packages[name.split(".")[0]] += self_us / 1000
                modules[name] = self_us / 1000
        per_package.append(packages)
        per_module.append(modules)
    return ImportBreakdown(_medians(per_package), _medians(per_module))


def run(repeats: int = 15, warmup: int = 1, log: Any = None, as_packaged: bool = False) -> ColdStartResult:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        env = child_environment(pycache, as_packaged)
        if as_packaged:  # the runtime's standard library comes compiled
            compile_stdlib = (
                "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['stdlib'], quiet=2)"
            )
            _run_child(["-c", compile_stdlib], {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
        result = _run(env, repeats, warmup, log, explain=not as_packaged)
    result.as_packaged = as_packaged
    return result


def _run(env: dict[str, str], repeats: int, warmup: int, log: Any, explain: bool) -> ColdStartResult:
    baseline = TargetResult(Target("baseline: `import boto3; boto3.client('dynamodb')`", None))
    functions = [TargetResult(target) for target in function_targets()]
    everything = [baseline, *functions]
    for round_ in range(warmup + repeats):
        for result in everything:
            measured = sample(result.target, env)
            if round_ >= warmup:
                result.samples.append(measured)
        if log is not None:
            print(f"cold start: round {round_ + 1}/{warmup + repeats}", file=log, flush=True)
    outcome = ColdStartResult(repeats, baseline, functions)
    for result in functions if explain else []:
        if not outcome.met(result) and result.target.module is not None:
            outcome.extra_imports[result.target.module] = extra_imports(result.target.module, env)
    return outcome


def to_markdown(result: ColdStartResult) -> str:
    judged = not result.as_packaged
    rows: list[list[object]] = []
    for r in [result.baseline, *result.functions]:
        row: list[object] = [
            r.target.label,
            ms(r.import_seconds),
            ms(r.client_seconds),
            ms(r.total),
            f"{result.ratio(r):.2f}",
        ]
        if judged:
            row.append("" if r is result.baseline else verdict(result.met(r)))
        rows.append(row)
    headers = ["target", "import (ms)", "settings + first client (ms)", "total (ms)", "ratio"]
    headers += [f"<= {TARGET_RATIO}"] if judged else []
    if result.as_packaged:
        intro = (
            f"Medians of {result.repeats} fresh interpreters per row (interleaved), as packaged: only the "
            "standard library has bytecode, everything else is compiled at every start. Not the target's "
            "setting: it shows what shipping no usable .pyc costs."
        )
    else:
        intro = (
            f"Medians of {result.repeats} fresh interpreters per row (interleaved; all bytecode cached). "
            f"Target: total <= {TARGET_RATIO} x baseline for every function."
        )
    parts = [
        intro,
        "",
        markdown_table(headers, rows),
    ]
    if result.extra_imports:
        parts += [
            "",
            "Modules imported beyond `import boto3`'s: self time (ms) per top-level package, then the largest "
            "modules (`python -X importtime`, median of 3; importtime inflates every figure, compare them "
            "with each other):",
            "",
        ]
        for module, breakdown in result.extra_imports.items():
            packages = ", ".join(f"{name} {value:.0f}" for name, value in breakdown.packages[:8] if value >= 1)
            modules = ", ".join(f"`{name}` {value:.0f}" for name, value in breakdown.modules[:8])
            parts.append(f"- `{module}`: {breakdown.total:.0f} in all; {packages}. Largest: {modules}")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=15, help="fresh interpreters per target (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded rounds first (default 1)")
    parser.add_argument(
        "--as-packaged",
        action="store_true",
        help="only the standard library has bytecode, as in a Lambda package shipped without usable .pyc",
    )
    args = parser.parse_args(argv)
    result = run(args.repeats, args.warmup, log=sys.stderr, as_packaged=args.as_packaged)
    print(to_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
