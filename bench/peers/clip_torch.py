#!/usr/bin/env python3
"""bench/peers/clip_torch.py — the PyTorch peer of `vitrine bench embed --arch vit-b-32`.

The same architecture as transformers' CLIPModel (pre-LN encoder layers, quick_gelu, causal text
mask, EOS pooling, class-token pooling, projections), written with plain torch.nn so it runs on
Debian's python3-torch (1.13, oneDNN) without transformers; random weights at
openai/clip-vit-base-patch32's geometry; the same batch, token count and threads as vitrine's run.
Prints one JSON object like vitrine's, with "engine": "pytorch". Each figure is the best of three
rounds after a warm-up, as vitrine measures.

Run with OMP_WAIT_POLICY=passive (bench/embed.sh does): on 2 cores PyTorch is slower with two
threads than with one without it.
"""
import argparse
import json

import torch
import torch.nn as nn

from timing import best_rate


class Layer(nn.Module):
    def __init__(self, d, f, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        hd = d // self.heads
        h = self.ln1(x)
        q = (self.q(h) * hd ** -0.5).view(b, t, self.heads, hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.heads, hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.heads, hd).transpose(1, 2)
        a = q @ k.transpose(-1, -2)
        if mask is not None:
            a = a + mask
        ctx = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(ctx)
        h = self.fc1(self.ln2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class Vision(nn.Module):
    def __init__(self, d=768, f=3072, layers=12, heads=12, patch=32, size=224, proj=512):
        super().__init__()
        self.patch = nn.Conv2d(3, d, patch, patch, bias=False)
        self.cls = nn.Parameter(torch.randn(d) * 0.1)
        self.pos = nn.Parameter(torch.randn((size // patch) ** 2 + 1, d) * 0.1)
        self.pre, self.post = nn.LayerNorm(d), nn.LayerNorm(d)
        self.layers = nn.ModuleList(Layer(d, f, heads) for _ in range(layers))
        self.proj = nn.Linear(d, proj, bias=False)

    def forward(self, px):
        x = self.patch(px).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
        x = self.pre(x)
        for layer in self.layers:
            x = layer(x, None)
        return self.proj(self.post(x[:, 0]))


class Text(nn.Module):
    def __init__(self, d=512, f=2048, layers=12, heads=8, vocab=49408, positions=77, proj=512):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(positions, d) * 0.1)
        self.layers = nn.ModuleList(Layer(d, f, heads) for _ in range(layers))
        self.final = nn.LayerNorm(d)
        self.proj = nn.Linear(d, proj, bias=False)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos[:t]
        mask = torch.full((t, t), float("-inf")).triu(1)
        for layer in self.layers:
            x = layer(x, mask)
        x = self.final(x)
        return self.proj(x[torch.arange(ids.shape[0]), ids.argmax(-1)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=6)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    vision, text = Vision().eval(), Text().eval()
    px = torch.randn(a.batch, 3, 224, 224)
    ids = torch.randint(0, 49406, (a.batch, a.tokens + 2))
    ids[:, 0], ids[:, -1] = 49406, 49407
    with torch.inference_mode():
        images = best_rate(lambda: vision(px), a.batch, a.seconds)
        texts = best_rate(lambda: text(ids), a.batch, a.seconds)
    print(json.dumps({"bench": "embed", "engine": "pytorch", "torch": torch.__version__, "arch": "vit-b-32",
                      "batch": a.batch, "threads": a.threads, "tokens": a.tokens + 2,
                      "images_per_s": round(images, 2), "texts_per_s": round(texts, 2)}))


if __name__ == "__main__":
    main()
