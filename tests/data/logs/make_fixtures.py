"""Write the training-log fixtures of tests/test_logformats.py with the real tools.

Not run by CI (which never installs these tools): run it by hand in a scratch environment,

    python -m venv /tmp/scratch && . /tmp/scratch/bin/activate
    pip install torch==2.13.0
    pip install lightning tensorboard tensorboardX transformers accelerate mlflow wandb keras
    cd tests/data/logs && python make_fixtures.py

(``python make_fixtures.py lightning_copies ssl_library_runs crashed_runs`` remakes only those,
which need torch, lightning and tensorboard.)

Every run logs the same scheduled "contrastive loss" 5.25, 5.0, 4.75, … (multiples of 1/4, exact in
float32 and in decimal), so that what each tool was asked to log is known without reading its
files back; ``expected.json`` records, per fixture, the final value the tool was given (or, where the
tool itself aggregates — Lightning's epoch means, Hugging Face's logging averages, Keras' epoch
means — the value the tool reported through its own callback) and the K it was told.
Checkpoints, model weights and other large files are deleted; only the logs are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import warnings
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the file store, in "maintenance mode"
warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
EXPECTED: dict[str, dict] = {}


def scheduled(i: int) -> float:
    """The loss logged at step i: 5.25 − i/4, floored at 0.25."""
    return max(5.25 - 0.25 * i, 0.25)


def fresh(name: str) -> Path:
    out = HERE / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


# --------------------------------------------------------------------------- Lightning
def lightning_runs() -> None:
    import lightning as L
    import torch
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    class Toy(L.LightningModule):
        def __init__(self, k: int, log_k: str, loss_name: str = "train_loss") -> None:
            super().__init__()
            self.save_hyperparameters()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.seen: list[float] = []

        def training_step(self, batch, batch_idx):
            v = scheduled(self.global_step)
            self.seen.append(v)
            # a real backward pass through a loss whose value is the scheduled one
            loss = (self.w * 0).sum() + torch.tensor(v)
            self.log(self.hparams.loss_name, loss, on_step=True, on_epoch=True)
            if self.hparams.log_k == "step":
                self.log("k", float(self.hparams.k), on_step=True, on_epoch=False)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.zeros(8, 1), batch_size=2)  # 4 steps per epoch
    epochs, steps = 3, 4

    def fit(model: Toy, logger) -> None:
        trainer = L.Trainer(max_epochs=epochs, logger=logger, log_every_n_steps=1, enable_checkpointing=False,
                            enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
        trainer.fit(model, data)

    last_epoch_mean = sum(scheduled(i) for i in range((epochs - 1) * steps, epochs * steps)) / steps
    root = fresh("lightning_csv")
    fit(Toy(255, "step"), CSVLogger(root, name="k_per_step"))
    fit(Toy(127, "hparams"), CSVLogger(root, name="k_in_hparams"))
    EXPECTED["lightning_csv/k_per_step"] = {"loss_key": "train_loss_epoch", "loss": last_epoch_mean, "k": 255,
                                            "last_step_loss": scheduled(epochs * steps - 1)}
    EXPECTED["lightning_csv/k_in_hparams"] = {"loss_key": "train_loss_epoch", "loss": last_epoch_mean, "k": 127}

    root = fresh("lightning_tb")
    fit(Toy(511, "hparams"), TensorBoardLogger(root, name="simclr"))
    EXPECTED["lightning_tb/simclr/version_0"] = {"loss_key": "train_loss_epoch", "loss": last_epoch_mean, "k": 511}
    for ckpt in HERE.glob("lightning_*/**/checkpoints"):
        shutil.rmtree(ckpt)


def _ssl_module(loss_name: str, on_epoch: bool):
    """A LightningModule that logs the scheduled loss under ``loss_name`` (``on_epoch``: also the
    epoch mean, which Lightning names ``<loss_name>_epoch`` beside ``<loss_name>_step``) and saves
    its ``__init__`` arguments as hyperparameters, as self-supervised code bases do."""
    import lightning as L
    import torch

    class SSL(L.LightningModule):
        def __init__(self, **hparams) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, batch_idx):
            loss = (self.w * 0).sum() + torch.tensor(scheduled(self.global_step))
            self.log(loss_name, loss, on_step=True, on_epoch=on_epoch)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return SSL


def _fit_ssl(model, loggers, epochs: int = 3) -> None:
    import lightning as L
    import torch

    data = torch.utils.data.DataLoader(torch.zeros(8, 1), batch_size=2)  # 4 steps per epoch
    trainer = L.Trainer(max_epochs=epochs, logger=loggers, log_every_n_steps=1, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(model, data)
    for ckpt in HERE.glob("**/checkpoints"):
        shutil.rmtree(ckpt)


def lightning_copies() -> None:
    """One run logged by CSVLogger and TensorBoardLogger into one save_dir and name: Lightning
    writes version_0 (CSV) and version_1 (TensorBoard), the same run twice; the temperature and K
    are in the hyperparameters."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    root = fresh("lightning_copies")
    model = _ssl_module("train_loss", on_epoch=True)(k=255, temperature=0.5, lr=0.1)
    _fit_ssl(model, [CSVLogger(root, name="simclr"), TensorBoardLogger(root, name="simclr")])
    last_epoch_mean = sum(scheduled(i) for i in range(8, 12)) / 4
    EXPECTED["lightning_copies/simclr"] = {"loss_key": "train_loss_epoch", "loss": last_epoch_mean, "k": 255,
                                           "temperature": 0.5, "versions": ["version_0", "version_1"]}


def ssl_library_runs() -> None:
    """The loss names of two self-supervised code bases, written by Lightning: solo-learn logs
    ``train_nce_loss`` with on_epoch=True (``_step`` and ``_epoch`` columns) and keeps the method's
    options under ``method_kwargs``; lightly's examples log ``train_loss_ssl`` per step."""
    from lightning.pytorch.loggers import CSVLogger

    root = fresh("ssl_libraries")
    solo = _ssl_module("train_nce_loss", on_epoch=True)(
        method="simclr", method_kwargs={"proj_hidden_dim": 2048, "temperature": 0.2}, num_negatives=510)
    _fit_ssl(solo, CSVLogger(root, name="solo_learn"))
    lightly = _ssl_module("train_loss_ssl", on_epoch=False)(k=254, temperature=0.1, lr=0.06)
    _fit_ssl(lightly, CSVLogger(root, name="lightly"))
    EXPECTED["ssl_libraries/solo_learn/version_0"] = {"loss_key": "train_nce_loss_epoch", "k": 510, "temperature": 0.2,
                                                      "loss": sum(scheduled(i) for i in range(8, 12)) / 4}
    EXPECTED["ssl_libraries/lightly/version_0"] = {"loss_key": "train_loss_ssl", "k": 254, "temperature": 0.1,
                                                   "loss": scheduled(11)}


def crashed_runs() -> None:
    """A job killed while writing its last line: a Lightning metrics.csv cut inside its last row
    (the bytes of a whole run, cut where a kill mid-write leaves them)."""
    from lightning.pytorch.loggers import CSVLogger

    root = fresh("crashed")
    model = _ssl_module("train_loss", on_epoch=False)(k=127, temperature=0.5)
    _fit_ssl(model, CSVLogger(root, name="cut_csv"), epochs=2)
    f = root / "cut_csv" / "version_0" / "metrics.csv"
    raw = f.read_bytes()
    whole = raw.rstrip(b"\r\n")
    cut = whole[: whole.rindex(b",")]  # the last row cut before its last field
    f.write_bytes(cut)
    lines = cut.split(b"\n")
    EXPECTED["crashed/cut_csv/version_0"] = {"loss_key": "train_loss", "k": 127, "loss": scheduled(6), "temperature": 0.5,
                                             "cut_line": len(lines), "cut_text": lines[-1].decode()}


# --------------------------------------------------------------------------- TensorBoard
def tensorboard_runs() -> None:
    from tensorboardX import SummaryWriter as XWriter
    from torch.utils.tensorboard import SummaryWriter

    root = fresh("tensorboard")
    n = 12
    # K logged once, at step 0
    w = SummaryWriter(root / "k_at_step0")
    w.add_scalar("k", 255, 0)
    for i in range(n):
        w.add_scalar("train/loss", scheduled(i), i)
    w.close()
    EXPECTED["tensorboard/k_at_step0"] = {"loss_key": "train/loss", "loss": scheduled(n - 1), "k": 255}
    # K changes mid-run: 63 for the first half, 127 after
    w = SummaryWriter(root / "k_changes")
    for i in range(n):
        w.add_scalar("train/loss", scheduled(i), i)
        w.add_scalar("k", 63 if i < n // 2 else 127, i)
    w.close()
    EXPECTED["tensorboard/k_changes"] = {"loss_key": "train/loss", "loss": scheduled(n - 1), "k": 127,
                                         "first_k": 63, "first_k_loss": scheduled(n // 2 - 1)}
    # K only in the hyperparameters (add_hparams writes a sub-folder with its own metric)
    w = SummaryWriter(root / "k_in_hparams")
    for i in range(n):
        w.add_scalar("train/loss", scheduled(i), i)
    w.add_hparams({"k": 1023, "lr": 0.3}, {"hparam/final_loss": scheduled(n - 1)})
    w.close()
    EXPECTED["tensorboard/k_in_hparams"] = {"loss_key": "train/loss", "loss": scheduled(n - 1), "k": 1023}
    # tensorboardX, K as a scalar at every step
    w = XWriter(str(root / "tbx"))
    for i in range(n):
        w.add_scalar("loss", scheduled(i), i)
        w.add_scalar("k", 31, i)
    w.close()
    EXPECTED["tensorboard/tbx"] = {"loss_key": "loss", "loss": scheduled(n - 1), "k": 31}
    # TensorFlow 2's format (scalars as tensors, as Keras' TensorBoard callback writes them), by
    # TensorBoard's own writer; K as an hparam of the same run
    from tensorboard.summary import Writer

    w = Writer(str(root / "tf2_scalars"))
    for i in range(n):
        w.add_scalar("epoch_loss", scheduled(i), step=i)
    w.close()
    EXPECTED["tensorboard/tf2_scalars"] = {"loss_key": "epoch_loss", "loss": scheduled(n - 1), "k": None}


# --------------------------------------------------------------------------- Hugging Face
def huggingface_runs() -> None:
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    class Toy(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.calls = 0

        def forward(self, x, labels=None):
            v = scheduled(self.calls)
            self.calls += 1
            return {"loss": (self.w * 0).sum() + torch.tensor(v), "logits": x}

    class KTrainer(Trainer):
        """K added to the logged records once, the first time (carried forward by readers)."""

        k_logged = False

        def log(self, logs, *args, **kwargs):
            if not self.k_logged and "loss" in logs:
                logs = {**logs, "k": 4095}
                KTrainer.k_logged = True
            return super().log(logs, *args, **kwargs)

    class Seen(TrainerCallback):
        losses: list[float] = []

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                Seen.losses.append(logs["loss"])

    class Data(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 16

        def __getitem__(self, i):
            return {"x": torch.zeros(1), "labels": torch.zeros(1)}

    out = fresh("huggingface")
    args = TrainingArguments(output_dir=str(out / "simclr-out"), max_steps=10, logging_steps=2, save_steps=5,
                             per_device_train_batch_size=2, report_to=[], use_cpu=True, save_only_model=True,
                             disable_tqdm=True)
    trainer = KTrainer(model=Toy(), args=args, train_dataset=Data(), callbacks=[Seen()])
    trainer.train()
    trainer.save_state()  # output_dir/trainer_state.json, ending with the run's summary record
    for f in (out / "simclr-out").rglob("*"):
        if f.is_file() and f.name != "trainer_state.json":
            f.unlink()
    EXPECTED["huggingface/simclr-out"] = {"loss_key": "loss", "loss": Seen.losses[-1], "k": 4095,
                                          "checkpoint-5": Seen.losses[1]}


# --------------------------------------------------------------------------- MLflow
def mlflow_runs() -> None:
    import mlflow

    n = 12
    for store in ("file", "sqlite"):
        out = fresh(f"mlflow_{store}")
        uri = f"file:{out / 'mlruns'}" if store == "file" else f"sqlite:///{out / 'mlflow.db'}"
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment("contrastive")
        with mlflow.start_run(run_name="k-param"):
            mlflow.log_param("k", 255)
            for i in range(n):
                mlflow.log_metric("train_loss", scheduled(i), step=i)
        with mlflow.start_run(run_name="k-metric"):
            for i in range(n):
                mlflow.log_metric("train_loss", scheduled(i), step=i)
                mlflow.log_metric("k", 511, step=i)
        EXPECTED[f"mlflow_{store}/k-param"] = {"loss_key": "train_loss", "loss": scheduled(n - 1), "k": 255}
        EXPECTED[f"mlflow_{store}/k-metric"] = {"loss_key": "train_loss", "loss": scheduled(n - 1), "k": 511}
        if store == "sqlite":
            con = sqlite3.connect(out / "mlflow.db")
            con.execute("VACUUM")
            con.close()
    shutil.rmtree(HERE / "mlflow_file" / "mlruns" / ".trash", ignore_errors=True)


# --------------------------------------------------------------------------- W&B
def wandb_runs() -> None:
    import wandb

    out = fresh("wandb")
    n = 12
    run = wandb.init(project="contrastive", dir=str(out), config={"k": 255, "lr": 0.1}, name="k-config", mode="offline")
    for i in range(n):
        run.log({"loss": scheduled(i)})
    run.finish()
    run = wandb.init(project="contrastive", dir=str(out), config={"lr": 0.1}, name="k-first-record", mode="offline")
    run.log({"loss": scheduled(0), "k": 127})
    for i in range(1, n):
        run.log({"loss": scheduled(i)})
    run.finish()
    EXPECTED["wandb/k-config"] = {"loss_key": "loss", "loss": scheduled(n - 1), "k": 255}
    EXPECTED["wandb/k-first-record"] = {"loss_key": "loss", "loss": scheduled(n - 1), "k": 127}
    for d in out.glob("wandb/*/tmp"):
        shutil.rmtree(d)
    for f in out.glob("wandb/*/files/requirements.txt"):
        f.unlink()
    for f in out.glob("wandb/*/logs"):
        shutil.rmtree(f)
    for f in out.glob("wandb/debug*.log"):  # links into the logs folders just removed
        f.unlink()
    # The UI's CSV export ("Download CSV" of a line plot) needs the W&B server, which this
    # machine cannot reach; written here in its documented layout from the same schedule:
    # a Step column, then "<run> - <key>" with "__MIN"/"__MAX" companions, one column group per run.
    lines = ['"Step","k-config - loss","k-config - loss__MIN","k-config - loss__MAX",'
             '"k-first-record - loss","k-first-record - loss__MIN","k-first-record - loss__MAX"']
    for i in range(n):
        v = f"{scheduled(i)!r}"
        lines.append(f'"{i}","{v}","{v}","{v}","{v}","{v}","{v}"')
    (out / "wandb_export.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["wandb/wandb_export.csv"] = {"loss_key": "loss", "loss": scheduled(n - 1), "k": None,
                                          "runs": ["k-config", "k-first-record"]}


# --------------------------------------------------------------------------- Keras
def keras_runs() -> None:
    import keras
    import numpy as np

    out = fresh("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(16, 4)
    y = x.sum(axis=1, keepdims=True)
    hist = model.fit(x, y, epochs=6, batch_size=4, verbose=0,
                     callbacks=[keras.callbacks.CSVLogger(str(out / "training.log"))])
    EXPECTED["keras/training.log"] = {"loss_key": "loss", "loss": float(hist.history["loss"][-1]), "k": None}


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:  # remake some: python make_fixtures.py tensorboard_runs
        EXPECTED.update(json.loads((HERE / "expected.json").read_text()))
    chosen = [globals()[name] for name in sys.argv[1:]]
    for make in chosen or (lightning_runs, lightning_copies, ssl_library_runs, crashed_runs, tensorboard_runs,
                           huggingface_runs, mlflow_runs, wandb_runs, keras_runs):
        make()
        print("made", make.__name__)
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=1, sort_keys=True) + "\n")
