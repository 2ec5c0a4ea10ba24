"""Cold start of every function: import of its handler module plus its first DynamoDB client.

Each sample is a fresh interpreter (a subprocess) that times itself with `time.perf_counter`:

- a function: `import functions.<name>.app` (the module `Handler: app.lambda_handler` names inside
  the function's CodeUri), then what its first request does before the first DynamoDB call: read the
  settings and bind the table (`container.storage`) and create PynamoDB's botocore client,
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

`--before REV` measures the same functions at another git revision as well, in the same rounds: a
temporary `git worktree` of REV (removed at the end), whose children run with that tree's PYTHONPATH,
working directory, template environment and child code (REV's own `FUNCTION_CHILD`: each revision
initialises itself as it did then), one sample of each function before and after in turn (which goes
first alternates by round). A second table gives each function's medians before and after, and their ratio.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
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
container.storage
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
    # --before REV: the revision, and the functions that exist there, measured in the same rounds (by name)
    revision: str | None = None
    before: dict[str, TargetResult] = field(default_factory=dict)

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


def child_environment(pycache: str, as_packaged: bool = False, root: Path = REPO_ROOT) -> dict[str, str]:
    """The template's function environment (parameter defaults), a region, fake credentials.

    `as_packaged`: no bytecode is written, so only what `pycache` already holds is used.
    `root`: the checkout measured (its template and PYTHONPATH): this one, or a `--before` worktree.
    """
    from local_stack.template import load
    from tests.support.template import load_template

    template = load_template() if root == REPO_ROOT else load(root / "template.yaml")
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
            "PYTHONPATH": os.pathsep.join([str(root), str(root / LAYER_DIR.relative_to(REPO_ROOT))]),
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


def _run_child(args: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # a fresh interpreter per sample
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args[-2:]} failed:\n{done.stderr}")
    return done


@dataclass(frozen=True)
class Tree:
    """A checkout whose functions are measured: this one, or another revision's worktree (`--before`)."""

    root: Path
    env: dict[str, str]
    function_child: str = FUNCTION_CHILD

    def has(self, target: Target) -> bool:
        return target.module is not None and (self.root / target.module.replace(".", "/")).with_suffix(".py").exists()


def sample(target: Target, env: dict[str, str], tree: Tree | None = None) -> Sample:
    code = BASELINE_CHILD if target.module is None else (tree.function_child if tree else FUNCTION_CHILD)
    args = ["-c", code, target.module or "-", ",".join(FORBIDDEN)]
    done = _run_child(args, tree.env, tree.root) if tree else _run_child(args, env)
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


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


@contextmanager
def worktree_at(revision: str) -> Iterator[Path]:
    """A temporary `git worktree` of `revision`, removed afterwards (this checkout is not touched)."""
    commit = _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="bench-before-") as parent:
        path = Path(parent) / "tree"
        _git("worktree", "add", "--quiet", "--detach", str(path), commit)
        try:
            yield path
        finally:
            _git("worktree", "remove", "--force", str(path))


def function_child_at(root: Path) -> str:
    """The `FUNCTION_CHILD` of `root`'s own benchmarks/cold_start.py (this one's if it has none): the way
    that revision initialises a function (its settings and table binding) may not exist in another."""
    script = root / "benchmarks" / "cold_start.py"
    if not script.exists():
        return FUNCTION_CHILD
    strings: dict[str, str] = {}

    def text(node: ast.expr) -> str:  # the module's string constants, their names and `+` only
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in strings:
            return strings[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return text(node.left) + text(node.right)
        raise ValueError("not a string expression")

    for statement in ast.parse(script.read_text()).body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        name = statement.targets[0]
        if isinstance(name, ast.Name):
            try:
                strings[name.id] = text(statement.value)
            except ValueError:
                continue
    return strings.get("FUNCTION_CHILD", FUNCTION_CHILD)


def run(
    repeats: int = 15, warmup: int = 1, log: Any = None, as_packaged: bool = False, before: str | None = None
) -> ColdStartResult:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        env = child_environment(pycache, as_packaged)
        if as_packaged:  # the runtime's standard library comes compiled
            compile_stdlib = (
                "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['stdlib'], quiet=2)"
            )
            _run_child(["-c", compile_stdlib], {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
        if before is None:
            result = _run(env, repeats, warmup, log, explain=not as_packaged)
        else:
            with worktree_at(before) as root:
                tree = Tree(root, child_environment(pycache, as_packaged, root), function_child_at(root))
                result = _run(env, repeats, warmup, log, explain=not as_packaged, before=tree)
            result.revision = before
    result.as_packaged = as_packaged
    return result


def _run(
    env: dict[str, str], repeats: int, warmup: int, log: Any, explain: bool, before: Tree | None = None
) -> ColdStartResult:
    baseline = TargetResult(Target("baseline: `import boto3; boto3.client('dynamodb')`", None))
    functions = [TargetResult(target) for target in function_targets()]
    earlier = {r.target.name: TargetResult(r.target) for r in functions if before is not None and before.has(r.target)}
    everything = [baseline, *functions]
    for round_ in range(warmup + repeats):
        for result in everything:
            # this tree's sample, and the same function's at --before, in turn (which goes first alternates)
            runs: list[tuple[TargetResult, Tree | None]] = [(result, None)]
            if before is not None and result.target.name in earlier:
                runs.append((earlier[result.target.name], before))
            for measured_result, tree in runs if round_ % 2 == 0 else runs[::-1]:
                measured = sample(measured_result.target, env, tree)
                if round_ >= warmup:
                    measured_result.samples.append(measured)
        if log is not None:
            print(f"cold start: round {round_ + 1}/{warmup + repeats}", file=log, flush=True)
    outcome = ColdStartResult(repeats, baseline, functions, before=earlier)
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
    if result.revision is not None:
        parts += ["", before_after_markdown(result)]
    return "\n".join(parts)


def before_after_markdown(result: ColdStartResult) -> str:
    """Each function's medians at `--before` and in this tree, measured in the same rounds."""
    rows: list[list[object]] = []
    for after in result.functions:
        before = result.before.get(after.target.name)
        if before is None or not before.samples:
            rows.append([after.target.label, "-", ms(after.import_seconds), "-", ms(after.total), "-"])
            continue
        rows.append(
            [
                after.target.label,
                ms(before.import_seconds),
                ms(after.import_seconds),
                ms(before.total),
                ms(after.total),
                f"{after.total / before.total:.2f}",
            ]
        )
    headers = [
        "function",
        "import before (ms)",
        "import after (ms)",
        "total before (ms)",
        "total after (ms)",
        "after / before",
    ]
    intro = (
        f"Before (`{result.revision}`) and after (this tree), sampled in the same rounds, in turn: medians of "
        f"{result.repeats} fresh interpreters each; total = import + settings + first client; "
        "after / before < 1 is faster. A function that does not exist at that revision shows -."
    )
    return "\n".join([intro, "", markdown_table(headers, rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=15, help="fresh interpreters per target (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded rounds first (default 1)")
    parser.add_argument(
        "--as-packaged",
        action="store_true",
        help="only the standard library has bytecode, as in a Lambda package shipped without usable .pyc",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also measure the same functions at git revision REV (a temporary worktree), in the same rounds",
    )
    args = parser.parse_args(argv)
    result = run(args.repeats, args.warmup, log=sys.stderr, as_packaged=args.as_packaged, before=args.before)
    print(to_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
