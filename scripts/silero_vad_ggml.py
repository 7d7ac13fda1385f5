#!/usr/bin/env python3
"""Writes Silero VAD (16 kHz) in whisper.cpp's GGML VAD format.

Users get the published file (`babblr models pull silero-vad`, from
ggml-org/whisper-vad on Hugging Face). The test machines reach only the
package registries, so `scripts/setup.sh --test` builds the same kind of file
from the weights the PyPI package `silero-vad` ships in its wheel
(`silero_vad/data/silero_vad_16k.safetensors`). Standard library only.

    python3 scripts/silero_vad_ggml.py WHEEL_OR_SAFETENSORS OUT.bin
"""
import json
import struct
import sys
import zipfile

# (name in the safetensors file, name whisper.cpp looks up, stored as f16?)
TENSORS = [
    *[
        (f"conv{i + 1}.{part}", f"_model.encoder.{i}.reparam_conv.{part}", part == "weight")
        for i in range(4)
        for part in ("weight", "bias")
    ],
    ("lstm_cell.weight_ih", "_model.decoder.rnn.weight_ih", False),
    ("lstm_cell.weight_hh", "_model.decoder.rnn.weight_hh", False),
    ("lstm_cell.bias_ih", "_model.decoder.rnn.bias_ih", False),
    ("lstm_cell.bias_hh", "_model.decoder.rnn.bias_hh", False),
    ("final_conv.weight", "_model.decoder.decoder.2.weight", True),
    ("final_conv.bias", "_model.decoder.decoder.2.bias", False),
    # The STFT basis keeps all three dimensions (whisper.cpp convolves with it).
    ("stft_conv.weight", "_model.stft.forward_basis_buffer", True),
]
# Encoder layers: (input channels, output channels, kernel).
ENCODER = [(129, 128, 3), (128, 64, 3), (64, 64, 3), (64, 128, 3)]


def read_safetensors(path):
    """name -> (shape, little-endian f32 bytes)."""
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            raw = z.read("silero_vad/data/silero_vad_16k.safetensors")
    else:
        with open(path, "rb") as f:
            raw = f.read()
    n = struct.unpack_from("<Q", raw)[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{name}: {t['dtype']}"
        start, end = t["data_offsets"]
        out[name] = (t["shape"], raw[8 + n + start : 8 + n + end])
    return out


def main(src, dst):
    tensors = read_safetensors(src)
    with open(dst, "wb") as f:
        i32 = lambda *v: f.write(struct.pack(f"<{len(v)}i", *v))
        i32(0x67676D6C)
        kind = b"silero-16k"
        i32(len(kind))
        f.write(kind)
        i32(6, 2, 0)  # the weights' release (silero-vad 6.2)
        i32(512, 64)  # window and context, in samples
        i32(len(ENCODER))
        for layer in ENCODER:
            i32(*layer)
        i32(128, 128)  # LSTM input and hidden size
        i32(128, 1)  # final convolution
        for src_name, name, half in TENSORS:
            shape, data = tensors[src_name]
            if name != "_model.stft.forward_basis_buffer":
                shape = [d for d in shape if d != 1] or [1]
            dims = list(reversed(shape))
            values = struct.unpack(f"<{len(data) // 4}f", data)
            encoded = name.encode()
            i32(len(dims), len(encoded), 1 if half else 0)
            i32(*dims)
            f.write(encoded)
            f.write(struct.pack(f"<{len(values)}{'e' if half else 'f'}", *values))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
