#!/usr/bin/env python3
"""bench/peers/st_torch.py — the PyTorch peer of `vitrine bench embed --arch mpnet-base|minilm-l6`.

A BERT-style post-LN encoder written with plain torch.nn, so it runs on Debian's python3-torch
(1.13, oneDNN) without transformers, at the geometry of the sentence-transformers model:
  mpnet-base  all-mpnet-base-v2: 768 wide, 12 layers, 12 heads, 3072, MPNet's relative position
              bias (32 buckets, shared by the layers, added to the attention scores)
  minilm-l6   all-MiniLM-L6-v2: 384 wide, 6 layers, 12 heads, 1536
with random weights, erf GELU, the attention mask added to the scores as transformers does, then
mean pooling over the mask and L2 normalisation (SentenceTransformer.encode's work). The same
batch, token count (--tokens plus the two special tokens) and threads as vitrine's run. Prints one
JSON object like vitrine's, with "engine": "pytorch"; the figure is the best of three rounds after
a warm-up, as vitrine measures.

Run with OMP_WAIT_POLICY=passive (bench/st.sh does): on 2 cores PyTorch is slower with two
threads than with one without it.
"""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import best_rate

ARCHS = {
    "mpnet-base": dict(d=768, f=3072, layers=12, heads=12, vocab=30527, positions=514, relative=True),
    "minilm-l6": dict(d=384, f=1536, layers=6, heads=12, vocab=30522, positions=512, relative=False),
}


class Layer(nn.Module):
    """BertLayer / MPNetLayer: attention, output LayerNorm, feed-forward, output LayerNorm."""

    def __init__(self, d, f, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-12), nn.LayerNorm(d, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x, bias):
        b, t, d = x.shape
        hd = d // self.heads
        q = self.q(x).view(b, t, self.heads, hd).transpose(1, 2)
        k = self.k(x).view(b, t, self.heads, hd).transpose(1, 2)
        v = self.v(x).view(b, t, self.heads, hd).transpose(1, 2)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + bias
        ctx = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


def bucket(rel, num_buckets=32, max_distance=128):
    """MPNet's relative_position_bucket."""
    ret = 0
    n = -rel
    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return ret + torch.where(is_small, n, large)


class Encoder(nn.Module):
    def __init__(self, d, f, layers, heads, vocab, positions, relative):
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(positions, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList(Layer(d, f, heads) for _ in range(layers))
        self.rel = nn.Embedding(32, heads) if relative else None
        self.relative = relative

    def forward(self, ids, mask):
        b, t = ids.shape
        if self.relative:  # MPNet: positions count from the padding index (1) + 1
            pos = torch.cumsum(mask, 1) * mask + 1
        else:
            pos = torch.arange(t).expand(b, t)
        x = self.ln(self.word(ids) + self.pos(pos))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        if self.relative:
            r = torch.arange(t)[None, :] - torch.arange(t)[:, None]
            bias = bias + self.rel(bucket(r)).permute(2, 0, 1)[None]
        for layer in self.layers:
            x = layer(x, bias)
        m = mask[:, :, None].float()
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=sorted(ARCHS), default="mpnet-base")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=6)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    cfg = ARCHS[a.arch]
    model = Encoder(**cfg).eval()
    ids = torch.randint(1000, cfg["vocab"] - 1, (a.batch, a.tokens + 2))
    ids[:, 0], ids[:, -1] = (0, 2) if cfg["relative"] else (101, 102)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        texts = best_rate(lambda: model(ids, mask), a.batch, a.seconds)
    print(json.dumps({"bench": "embed", "engine": "pytorch", "torch": torch.__version__, "arch": a.arch,
                      "batch": a.batch, "threads": a.threads, "tokens": a.tokens + 2,
                      "texts_per_s": round(texts, 2)}))


if __name__ == "__main__":
    main()
