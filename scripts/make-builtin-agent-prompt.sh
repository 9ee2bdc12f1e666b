#!/usr/bin/env bash
# Regenerates the built-in agent's spoken prompt, Ovrsee.WebhookApi/AlohaStream/Audio/builtin-agent-prompt.wav:
# eSpeak NG (Debian: apt-get install espeak-ng) speaks the text at 22050 Hz; Python's standard library
# low-pass filters it, resamples it to 8 kHz and stores it as G.711 μ-law, the format Twilio streams
# play, in a WAV file (WAVE_FORMAT_MULAW) any player opens. Only needed when the wording changes.
set -euo pipefail
text=${1:-"Hi, this is Aloha. To leave a message, press 1, or stay on the line."}
out=$(dirname "$0")/../Ovrsee.WebhookApi/AlohaStream/Audio/builtin-agent-prompt.wav
tmp=$(mktemp --suffix .wav)
trap 'rm -f "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp" "$text"
python3 - "$tmp" "$out" <<'PY'
import math, struct, sys, wave

with wave.open(sys.argv[1]) as source:
    assert source.getnchannels() == 1 and source.getsampwidth() == 2
    rate = source.getframerate()
    pcm = struct.unpack(f"<{source.getnframes()}h", source.readframes(source.getnframes()))

# Windowed-sinc low-pass at 3.4 kHz (telephone band), then linear interpolation to 8 kHz.
taps, cutoff = 63, 3400 / rate
kernel = [(2 * cutoff if i == taps // 2 else math.sin(2 * math.pi * cutoff * (i - taps // 2)) / (math.pi * (i - taps // 2)))
          * (0.54 - 0.46 * math.cos(2 * math.pi * i / (taps - 1))) for i in range(taps)]
filtered = [sum(kernel[k] * pcm[n - k] for k in range(taps) if 0 <= n - k < len(pcm)) for n in range(len(pcm))]
count = int(len(filtered) * 8000 / rate)
peak = max(1.0, max(abs(s) for s in filtered))
gain = min(1.0, 20000 / peak)

def mulaw(sample):
    sample = max(-32635, min(32635, int(sample)))
    sign = 0x80 if sample < 0 else 0
    sample = abs(sample) + 0x84
    exponent = max(0, min(7, sample.bit_length() - 8))
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF

out = bytearray()
for i in range(count):
    position = i * rate / 8000
    j = int(position)
    a, b = filtered[j], filtered[min(j + 1, len(filtered) - 1)]
    out.append(mulaw((a + (b - a) * (position - j)) * gain))
out += bytes([0xFF]) * ((-len(out)) % 160)  # whole 20 ms frames; 0xFF is μ-law silence

fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)  # WAVE_FORMAT_MULAW, mono, 8 kHz, 8 bits
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(out)) + bytes(out)
with open(sys.argv[2], "wb") as target:
    target.write(b"RIFF" + struct.pack("<I", len(body)) + body)
print(f"{sys.argv[2]}: {len(out)} bytes, {len(out) / 8000:.2f} s")
PY
