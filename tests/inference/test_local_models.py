"""Models already on this computer: the Hugging Face cache, LM Studio's folders and Ollama's
store, written in their real layouts under a temporary HOME (tests/helpers/local_stores.py)."""

from __future__ import annotations

import json

import gguf
import pytest
from helpers.local_stores import put_in_hf_cache, put_in_ollama, write_gguf

from deskpet.inference import gguf as gguf_file
from deskpet.inference.local_models import HUGGING_FACE, LM_STUDIO, OLLAMA, find_local_models

SHA = "0123456789abcdef0123456789abcdef01234567"
Q = gguf.GGMLQuantizationType


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    return home


def by_name(found):
    return {m.name: m for m in found}


def test_models_in_all_three_stores_are_listed_with_format_size_and_verdict(
    home, tmp_path, tiny_repo
):
    # GIVEN an MLX model and a Qwen model in the Hugging Face cache, GGUF files in both LM
    # Studio folders, and three Ollama models (llama, qwen2, and one whose blob is gone)
    hub = home / ".cache" / "huggingface" / "hub"
    mlx_snapshot = put_in_hf_cache(hub, "openbmb/MiniCPM5-1B-MLX", tiny_repo, SHA)
    qwen = dict(tiny_repo)
    qwen["config.json"] = json.dumps(
        {**json.loads(tiny_repo["config.json"]), "model_type": "qwen2"}
        | {"architectures": ["Qwen2ForCausalLM"]}
    ).encode()
    put_in_hf_cache(hub, "Qwen/Qwen2-0.5B", qwen, SHA)
    good = write_gguf(home / ".lmstudio/models/pub/Tiny-GGUF/tiny-Q8_0.gguf")
    write_gguf(
        home / ".cache/lm-studio/models/old/IQ-GGUF/tiny-IQ2_XXS.gguf",
        tensor_type=Q.IQ2_XXS,
        file_type=19,
    )
    ollama = home / ".ollama" / "models"
    blob = put_in_ollama(ollama, "tinyllama", "latest", good.read_bytes())
    put_in_ollama(ollama, "qwen", "0.5b", write_gguf(tmp_path / "q.gguf", "qwen2").read_bytes())
    put_in_ollama(ollama, "gone", "1b", None, namespace="someone")

    # WHEN deskpet looks
    found = by_name(find_local_models())

    # THEN every model is a row, named as its app names it, with what deskpet can run first
    assert set(found) == {
        "openbmb/MiniCPM5-1B-MLX",
        "Qwen/Qwen2-0.5B",
        "pub/Tiny-GGUF/tiny-Q8_0.gguf",
        "old/IQ-GGUF/tiny-IQ2_XXS.gguf",
        "tinyllama:latest",
        "qwen:0.5b",
        "someone/gone:1b",
    }
    mlx = found["openbmb/MiniCPM5-1B-MLX"]
    assert (mlx.where, mlx.path, mlx.format, mlx.problem) == (
        HUGGING_FACE,
        mlx_snapshot,
        "MLX folder",
        "",
    )
    assert mlx.size == sum(len(b) for b in tiny_repo.values())  # the blobs, through the links
    assert "Qwen2ForCausalLM" in found["Qwen/Qwen2-0.5B"].problem
    lms = found["pub/Tiny-GGUF/tiny-Q8_0.gguf"]
    assert (lms.where, lms.format, lms.problem, lms.size) == (
        LM_STUDIO,
        "GGUF Q8_0",
        "",
        good.stat().st_size,
    )
    iq = found["old/IQ-GGUF/tiny-IQ2_XXS.gguf"]
    assert iq.format == "GGUF IQ2_XXS" and "holds IQ2_XXS tensors" in iq.problem
    llama = found["tinyllama:latest"]
    assert (llama.where, llama.path, llama.format, llama.runnable) == (
        OLLAMA,
        blob,
        "GGUF Q8_0",
        True,
    )
    assert "a qwen2 model" in found["qwen:0.5b"].problem
    gone = found["someone/gone:1b"]
    assert gone.format == "?" and gone.problem.startswith("cannot read it")
    listed = find_local_models()
    assert [m.runnable for m in listed] == sorted((m.runnable for m in listed), reverse=True)


def test_the_k_quant_verdict_follows_the_gguf_reader(home):
    # A Q6_K file is listed as runnable exactly when gguf.py says it can run Q6_K tensors
    # (another change teaches it K-quants; the list must not hard-code types).
    write_gguf(home / ".lmstudio/models/p/r/m-Q6_K.gguf", tensor_type=Q.Q6_K, file_type=18)
    (row,) = find_local_models()
    assert row.format == "GGUF Q6_K"
    assert row.runnable == gguf_file.can_run_type("Q6_K")


def test_an_ollama_blob_loads_by_its_path(home, demo_gguf, monkeypatch):
    from deskpet.inference.worker import check_model

    # GIVEN the demo GGUF pulled into Ollama's store (a blob without a .gguf suffix)
    store = home / "elsewhere"
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    blob = put_in_ollama(store, "smollm2", "135m", demo_gguf.read_bytes())

    # WHEN it is listed and its path checked as the app checks a chosen model
    (row,) = find_local_models()

    # THEN it is runnable, and the loader takes the blob as it is
    assert (row.name, row.path, row.format, row.runnable) == (
        "smollm2:135m",
        blob,
        "GGUF Q4_1",
        True,
    )
    assert check_model(str(row.path)) == ""


def test_odd_stores_give_rows_not_exceptions_and_do_not_hang(home, caplog):
    lms = home / ".lmstudio" / "models"
    # a folder linking to itself (followed, it would never end)
    (lms / "loop").mkdir(parents=True)
    (lms / "loop" / "again").symlink_to(lms / "loop")
    # a truncated GGUF and a file that is not one
    good = write_gguf(home / "x.gguf").read_bytes()
    (lms / "pub" / "cut").mkdir(parents=True)
    (lms / "pub" / "cut" / "half.gguf").write_bytes(good[: len(good) // 3])
    (lms / "pub" / "cut" / "text.gguf").write_text("version https://git-lfs.github.com/spec/v1\n")
    # an Ollama manifest that is not JSON, and one naming its blob with a path
    ollama = home / ".ollama" / "models" / "manifests" / "registry.ollama.ai" / "library"
    (ollama / "junk").mkdir(parents=True)
    (ollama / "junk" / "latest").write_text("{not json")
    (ollama / "sneaky").mkdir()
    (ollama / "sneaky" / "latest").write_text(
        json.dumps(
            {"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": "../../x"}]}
        )
    )
    # a Hugging Face cache whose refs/main points outside its snapshots
    repo = home / ".cache" / "huggingface" / "hub" / "models--a--b"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("../../../../etc")

    found = by_name(find_local_models())

    assert set(found) == {
        "pub/cut/half.gguf",
        "pub/cut/text.gguf",
        "junk:latest",
        "sneaky:latest",
    }
    for m in found.values():
        assert m.problem.startswith("cannot read it") and m.format == "?", m
    assert "the manifest names no model file" in found["sneaky:latest"].problem


def test_the_list_is_capped(home):
    for i in range(7):
        write_gguf(home / f".lmstudio/models/p/r{i}/m.gguf")
    assert len(find_local_models(limit=5)) == 5


def test_model_list_prints_the_same_rows(home, capsys):
    from deskpet import cli

    write_gguf(home / ".lmstudio/models/pub/Tiny-GGUF/tiny-Q8_0.gguf")
    write_gguf(home / ".lmstudio/models/pub/Qwen-GGUF/q.gguf", arch="qwen2")

    assert cli.main(["model", "list"]) == 0

    out = capsys.readouterr().out
    assert "pub/Tiny-GGUF/tiny-Q8_0.gguf  [LM Studio, " in out
    assert "GGUF Q8_0]  runs" in out
    assert "pub/Qwen-GGUF/q.gguf" in out and "cannot run: a qwen2 model" in out
    assert str(home / ".lmstudio/models/pub/Tiny-GGUF/tiny-Q8_0.gguf") in out
    assert "2 found, 1 deskpet can run" in out
