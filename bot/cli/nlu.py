"""``jiesu nlu train`` and ``jiesu nlu eval``: fit a category model on a deployment's history and
measure a model (trained or the built-in keyword scorer) on labelled messages."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from config.settings import Settings
from nlu import understand, warm_up
from nlu.evaluation import Evaluation, measure
from nlu.examples import DataError, Example, label_examples, read_csv
from nlu.model import ModelError, TrainedModel, first_level, is_first_level

BUILT_IN = "built-in keyword scorer"


class ProgressLine:
    """A progress counter on stderr: one line rewritten in a terminal, a few lines otherwise."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "jiesu nlu") -> None:
        self.stream = stream or sys.stderr
        self.prefix = prefix
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last: tuple[str, int] = ("", -1)

    def __call__(self, done: int, total: int, stage: str) -> None:
        percent = 100 * done // max(total, 1)
        if not self.tty:
            # Quarter steps keep a CI log short.
            step = percent // 25
            if (stage, step) == self._last:
                return
            self._last = (stage, step)
        line = f"{self.prefix}: {stage} {done}/{total} ({percent}%) {self.elapsed():.0f}s"
        self.stream.write(f"\r{line}\x1b[K" if self.tty else f"{line}\n")
        if self.tty and done >= total:
            self.stream.write("\n")
        self.stream.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def format_report(evaluation: Evaluation, data: Path, model_name: str) -> str:
    """The human report: figures per label, overall, latency, then the confusion matrix."""
    level = "first level" if evaluation.first_level else "level of each gold label"
    lines = [
        f"data: {data} ({evaluation.n} messages); model: {model_name}",
        f"labels compared at the {level}",
        "",
    ]
    name_width = max(12, *(_width(label) for label in evaluation.columns)) + 2
    lines.append(
        _left("label", name_width)
        + "".join(_right(title, 10) for title in ("precision", "recall", "F1", "n"))
    )
    for scores in evaluation.per_label:
        lines.append(
            _left(scores.label, name_width)
            + "".join(
                _right(f"{value:.3f}", 10) for value in (scores.precision, scores.recall, scores.f1)
            )
            + _right(str(scores.support), 10)
        )
    lines += [
        "",
        f"accuracy {evaluation.accuracy:.4f}   macro-F1 {evaluation.macro_f1:.4f}",
    ]
    if evaluation.latency_ms_p50 is not None and evaluation.latency_ms_p99 is not None:
        lines.append(
            f"latency per message: p50 {evaluation.latency_ms_p50:.2f} ms, "
            f"p99 {evaluation.latency_ms_p99:.2f} ms"
        )
    lines += ["", "confusion matrix (rows: gold label, columns: predicted, by number)"]
    cell = max(5, len(str(max(max(row) for row in evaluation.confusion))) + 2)
    numbers = [str(number) for number in range(1, len(evaluation.columns) + 1)]
    lines.append(" " * (name_width + 4) + "".join(_right(number, cell) for number in numbers))
    for number, (label, row) in enumerate(
        zip(evaluation.labels, evaluation.confusion, strict=True), start=1
    ):
        lines.append(
            _right(str(number), 3)
            + " "
            + _left(label, name_width)
            + "".join(_right(str(count), cell) for count in row)
        )
    for number, label in enumerate(evaluation.columns[len(evaluation.labels) :], start=1):
        lines.append(_right(str(len(evaluation.labels) + number), 3) + f" {label} (predicted only)")
    return "\n".join(lines) + "\n"


def classifier(model: TrainedModel | None) -> Callable[[str], str]:
    """Text -> category path through the whole understanding, as the service runs it."""
    if model is None:
        return lambda text: understand(text).category
    return lambda text: understand(text, model=model).category


def evaluate_file(
    data: Path, model: TrainedModel | None, progress: ProgressLine | None = None
) -> Evaluation:
    examples = read_csv(data)
    warm_up()
    run = classifier(model)
    run(examples[0].text)  # the first call builds word tables: not a resident's latency
    return measure(examples, run, progress)


def cmd_nlu_eval(args: argparse.Namespace, settings: Settings) -> int:
    progress = ProgressLine(prefix="jiesu nlu eval")
    try:
        model = TrainedModel.load(args.model) if args.model else None
        evaluation = evaluate_file(args.data, model, progress)
    except (DataError, ModelError) as error:
        sys.stderr.write(f"jiesu nlu eval: {error}\n")
        return 2
    model_name = _describe(args.model, model)
    if args.json:
        result = {**evaluation.as_json(), "model": str(args.model) if args.model else "keywords"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_report(evaluation, args.data, model_name))
    return 0


def _describe(path: Path | None, model: TrainedModel | None) -> str:
    if path is None or model is None:
        return BUILT_IN
    trained = model.info.get("trained_at", "?")
    return f"{path} (trained {trained} on {model.info.get('examples', '?')} messages)"


def csv_examples(path: Path) -> list[Example]:
    """Training examples from a CSV file (``text,label`` or ``title,text,label``)."""
    return read_csv(path)


def train_and_save(
    examples: Iterable[Example], out: Path, progress: ProgressLine | None = None
) -> TrainedModel:
    """Fit on examples from any source and write the model file."""
    # scikit-learn is needed only here; eval and the service read the exported arrays.
    from nlu.training import train

    model = train(examples, progress=progress)
    model.save(out)
    return model


async def _corrections(settings: Settings) -> list[tuple[str, str]]:
    from handlers.workflow.recategorise import correction_examples
    from models.database import orm

    async with orm(settings.database_url):
        return await correction_examples()


def case_examples(settings: Settings) -> list[Example]:
    """Dispatchers' corrections (改类) kept in the database, one per corrected case."""
    return label_examples(asyncio.run(_corrections(settings)), where="case")


def training_examples(args: argparse.Namespace, settings: Settings) -> list[Example]:
    """Examples from the CSV, the corrections, or both.

    Corrections carry full paths; when the CSV's labels are all first-level names, the
    corrections are cut to their first level too, so that the model learns one level.
    """
    if args.data is None and not args.from_cases:
        raise DataError("give a DATA.csv, --from-cases, or both")
    examples = csv_examples(args.data) if args.data is not None else []
    if args.from_cases:
        corrections = case_examples(settings)
        if not corrections:
            raise DataError("no corrected cases in the database yet (jiesu recategorise ...)")
        if examples and all(is_first_level(example.label) for example in examples):
            corrections = [replace(c, label=first_level(c.label)) for c in corrections]
        examples += corrections
    return examples


def cmd_nlu_train(args: argparse.Namespace, settings: Settings) -> int:
    progress = ProgressLine(prefix="jiesu nlu train")
    try:
        examples = training_examples(args, settings)
        model = train_and_save(examples, args.out, progress)
    except (DataError, ModelError) as error:
        sys.stderr.write(f"jiesu nlu train: {error}\n")
        return 2
    except OSError as error:
        sys.stderr.write(f"jiesu nlu train: cannot write {args.out}: {error.strerror or error}\n")
        return 2
    counts = model.info.get("label_counts", {})
    held_out = model.info.get("held_out_accuracy")
    sys.stdout.write(
        f"jiesu nlu train: {args.out}: {len(examples)} messages, {len(model.labels)} labels "
        f"({', '.join(f'{label} {count}' for label, count in counts.items())}) "
        f"in {progress.elapsed():.0f}s\n"
    )
    if held_out is not None:
        sys.stdout.write(
            f"jiesu nlu train: accuracy on held-out thirds of the data {held_out:.3f} "
            f"(measure with: jiesu nlu eval OTHER.csv --model {args.out})\n"
        )
    sys.stdout.write(f"jiesu nlu train: to use it, set JIESU_NLU_MODEL={args.out}\n")
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``jiesu nlu train`` and ``jiesu nlu eval`` under the ``jiesu`` command line."""
    nlu = commands.add_parser("nlu", help="train and measure the category model")
    actions = nlu.add_subparsers(dest="nlu_command", required=True)

    train = actions.add_parser(
        "train",
        help="fit a category model on labelled messages",
        description="Columns: text,label or title,text,label (UTF-8). A label is a first-level "
        "category, a path such as 城乡建设/物业管理, or a second-level name. With --from-cases "
        "the dispatchers' corrections (jiesu recategorise, the dashboard) are added.",
    )
    train.add_argument("data", type=Path, metavar="DATA.csv", nargs="?", default=None)
    train.add_argument(
        "--from-cases",
        action="store_true",
        help="also learn from dispatchers' category corrections in the database",
    )
    train.add_argument("--out", type=Path, required=True, metavar="MODEL", help="model file")
    train.set_defaults(func=cmd_nlu_train)

    evaluate = actions.add_parser(
        "eval",
        help="accuracy, macro-F1, confusion and latency on labelled messages",
        description="Without --model, measures the built-in keyword scorer.",
    )
    evaluate.add_argument("data", type=Path, metavar="DATA.csv")
    evaluate.add_argument("--model", type=Path, default=None, help="a file from jiesu nlu train")
    evaluate.add_argument("--json", action="store_true", help="one JSON object on stdout")
    evaluate.set_defaults(func=cmd_nlu_eval)
