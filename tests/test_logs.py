"""Reading logged losses: CSV (Lightning CSVLogger), W&B-style CSV, JSON, JSONL, TensorBoard."""

from __future__ import annotations

import json
import time

import pytest

from boundcalc.cli.parse import parse_int_list
from boundcalc.logs import read_losses

LIGHTNING_CSV = """epoch,k,step,train_loss_epoch,train_loss_step,val_acc
0,31,49,,2.31,
0,31,99,,2.25,
0,31,99,2.28,,0.61
1,31,149,,2.10,
1,31,199,2.02,,0.66
0,63,49,,2.90,
0,63,99,2.64,,0.70
"""


def test_lightning_csv(tmp_path):
    f = tmp_path / "metrics.csv"
    f.write_text(LIGHTNING_CSV)
    with pytest.raises(ValueError, match="several loss columns: train_loss_epoch, train_loss_step"):
        read_losses(str(f))
    rows = read_losses(str(f), loss_key="train_loss_epoch")
    assert [(r.k, r.n_rows) for r in rows] == [(31, 2), (63, 1)]
    assert rows[0].loss == pytest.approx((2.28 + 2.02) / 2)
    last = read_losses(str(f), loss_key="train_loss_epoch", last=True)
    assert last[0].loss == 2.02 and last[0].n_rows == 1


def test_wandb_style_csv_with_fixed_k(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text('"Step","contrastive_loss","lr"\n1,3.0,0.1\n2,2.5,0.1\n')
    rows = read_losses(str(f), k=255)
    assert rows[0].k == 255 and rows[0].loss == 2.75
    with pytest.raises(ValueError, match="no column holds K"):
        read_losses(str(f))


def test_tsv_and_extra_columns(tmp_path):
    f = tmp_path / "m.tsv"
    f.write_text("k\tloss\td\tlsub\tsup\n31\t2.02\t-1.16\t1.5\t0.9\n63\t2.64\t-1.17\t1.6\t0.8\n")
    rows = read_losses(str(f), d_key="d", l_sub_key="lsub", sup_key="sup")
    assert rows[1].d == -1.17 and rows[1].l_sub == 1.6 and rows[1].sup == 0.8


def test_json_records_columns_and_jsonl(tmp_path):
    recs = [{"k": 31, "loss": 2.0}, {"k": 31, "loss": 2.2}, {"k": 63, "loss": 2.6}]
    (tmp_path / "a.json").write_text(json.dumps(recs))
    (tmp_path / "b.json").write_text(json.dumps({"k": [31, 31, 63], "loss": [2.0, 2.2, 2.6]}))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    for name in ["a.json", "b.json", "c.jsonl"]:
        rows = read_losses(str(tmp_path / name))
        assert [(r.k, round(r.loss, 12), r.n_rows) for r in rows] == [(31, 2.1, 2), (63, 2.6, 1)], name


def test_tensorboard_event_file(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    w = EventFileWriter(str(tmp_path / "run"))
    for step, val in enumerate([2.5, 2.25, 2.0]):
        summ = Summary(value=[Summary.Value(tag="train/infonce", simple_value=val), Summary.Value(tag="lr", simple_value=0.1)])
        w.add_event(Event(step=step, wall_time=time.time(), summary=summ))
    w.close()
    rows = read_losses(str(tmp_path / "run"), k=127)
    assert rows[0].k == 127 and rows[0].loss == pytest.approx(2.25) and rows[0].n_rows == 3
    event_file = next((tmp_path / "run").iterdir())
    assert read_losses(str(event_file), k=127, last=True)[0].loss == 2.0


@pytest.mark.parametrize(
    "text,suffix,msg",
    [
        ("", ".csv", "empty"),
        ("k,loss\n31,abc\n", ".csv", "line 2, column 'loss': expected a number"),
        ("k,loss\n31,nan\n", ".csv", "no row has a value"),
        ("k,loss\n31,inf\n", ".csv", "finite"),
        ("k,loss\n31\n", ".csv", "line 2 has 1 fields"),
        ("k,loss\n-1,2.0\n", ".csv", "K must be a whole number"),
        ('{"k": 1, "loss": 2}\n{"k": 2, "loss": \n', ".jsonl", "malformed JSON on line 2"),
        ("[1, 2", ".json", "malformed JSON at line 1"),
        ("k,val\n31,2.0\n", ".csv", "no loss column found"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*skipped 1 row")  # the NaN row's own report, tested in test_inputs.py
def test_bad_logs(tmp_path, text, suffix, msg):
    f = tmp_path / f"log{suffix}"
    f.write_text(text)
    with pytest.raises(ValueError, match=msg):
        read_losses(str(f))


def test_missing_file_and_unknown_key(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_losses(str(tmp_path / "nope.csv"))
    f = tmp_path / "m.csv"
    f.write_text("k,loss\n31,2.0\n")
    with pytest.raises(ValueError, match="no column 'foo'; columns: k, loss"):
        read_losses(str(f), loss_key="foo")


def test_parse_int_list():
    assert parse_int_list("7700") == [7700]
    assert parse_int_list("31,63,127") == [31, 63, 127]
    assert parse_int_list("1..4") == [1, 2, 3, 4]
    assert parse_int_list("0..1000:250") == [0, 250, 500, 750, 1000]
    assert parse_int_list("32..1024:x2") == [32, 64, 128, 256, 512, 1024]
    for bad in ["-1", "2.5", "a", "5..1", "", "0..8:x2"]:
        with pytest.raises(ValueError):
            parse_int_list(bad)


def test_truncated_event_file_is_reported(tmp_path):
    """A TFRecord file cut inside its last record: the whole records are counted and the cut
    is reported (TensorBoard's reader skips it silently)."""
    from boundcalc.logs import _tfrecord_framing

    records = [b"x" * 10, b"y" * 3, b"z" * 40]
    blob = b"".join(len(r).to_bytes(8, "little") + b"\0" * 4 + r + b"\0" * 4 for r in records)
    f = tmp_path / "events.out.tfevents.1"
    f.write_bytes(blob)
    assert _tfrecord_framing(f) == (3, 0)
    f.write_bytes(blob[:-5])
    assert _tfrecord_framing(f) == (2, len(records[2]) + 16 - 5)
    pytest.importorskip("tensorboard")
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):  # not real events: no scalars, refused
            read_losses(str(f), k=31)
    assert any("truncated" in str(w.message) for w in caught)
