// hnswlib_bench.cpp — the peer of `vitrine bench index`: hnswlib 0.6.2 (Debian libhnswlib-dev,
// header-only) on the same .fbin / .ibin files, with the same M, ef_construction, threads, ef list
// and k, printing the same JSON object with "engine":"hnswlib" (../shared/BENCHMARKS.md).
//
//   g++ -O3 -march=native -std=c++17 -pthread -o build/hnswlib_bench bench/peers/hnswlib_bench.cpp
//   build/hnswlib_bench --base B.fbin --queries Q.fbin --gt G.ibin [--metric cosine|dot|euclid]
//                       [--m 16] [--ef-construct 128] [--threads 2] [--ef 32,64,128,256] [--k 10]
//
// Method, as the anchor in BENCHMARKS.md: addPoint from --threads threads (rows handed out by an
// atomic counter, hnswlib's own ParallelFor pattern); one searchKnn per query per thread; qps_1
// and qps_n the best of 3 rounds; p50/p99 from the best single-thread round. Cosine: rows and
// queries normalised, InnerProductSpace. index_bytes: the growth of the process's resident memory
// across index construction (hnswlib has no account of its own; this includes its per-element
// mutexes, link lists and label map), measured after the base vectors are resident.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <string>
#include <thread>
#include <vector>

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static long rss_bytes() {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * sysconf(_SC_PAGESIZE);
}

struct Mat {
    int32_t n = 0, d = 0;
    std::vector<char> bytes;
    template <class T> T *rows() { return reinterpret_cast<T *>(bytes.data() + 8); }
};

static bool read_bin(const char *path, size_t elem, Mat &m) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    m.bytes.resize(len > 0 ? (size_t)len : 0);
    bool ok = len >= 8 && fread(m.bytes.data(), 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) return false;
    memcpy(&m.n, m.bytes.data(), 4);
    memcpy(&m.d, m.bytes.data() + 4, 4);
    return m.n >= 0 && m.d > 0 && (uint64_t)m.n * m.d * elem + 8 == (uint64_t)len;
}

template <class F> static void parallel_for(int n, int threads, F fn) {
    std::atomic<int> next(0);
    auto work = [&]() {
        for (int i; (i = next++) < n;) fn(i);
    };
    std::vector<std::thread> ts;
    for (int t = 1; t < threads; t++) ts.emplace_back(work);
    work();
    for (auto &t : ts) t.join();
}

int main(int argc, char **argv) {
    const char *base_path = nullptr, *q_path = nullptr, *gt_path = nullptr, *metric = "cosine";
    int m = 16, efc = 128, threads = 2, k = 10;
    std::vector<int> efs = {32, 64, 128, 256};
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!v) { fprintf(stderr, "hnswlib_bench: %s needs a value\n", a.c_str()); return 2; }
        i++;
        if (a == "--base") base_path = v;
        else if (a == "--queries") q_path = v;
        else if (a == "--gt") gt_path = v;
        else if (a == "--metric") metric = v;
        else if (a == "--m") m = atoi(v);
        else if (a == "--ef-construct") efc = atoi(v);
        else if (a == "--threads") threads = atoi(v);
        else if (a == "--k") k = atoi(v);
        else if (a == "--ef") {
            efs.clear();
            for (const char *s = v; *s;) {
                char *end;
                efs.push_back((int)strtol(s, &end, 10));
                s = *end == ',' ? end + 1 : end;
                if (end == s && *s) break;
            }
        } else { fprintf(stderr, "hnswlib_bench: unknown option %s\n", a.c_str()); return 2; }
    }
    Mat base, queries, gt;
    if (!base_path || !q_path || !gt_path || !read_bin(base_path, 4, base) || !read_bin(q_path, 4, queries) ||
        !read_bin(gt_path, 4, gt) || queries.d != base.d || gt.n != queries.n || gt.d < k) {
        fprintf(stderr, "hnswlib_bench: need valid --base, --queries and --gt files (same dim, gt k >= %d)\n", k);
        return 1;
    }
    int n = base.n, dim = base.d, nq = queries.n;
    bool cosine = strcmp(metric, "cosine") == 0, l2 = strcmp(metric, "euclid") == 0;
    if (cosine)
        for (Mat *x : {&base, &queries})
            for (int i = 0; i < x->n; i++) {
                float *r = x->rows<float>() + (size_t)i * dim;
                double s = 0;
                for (int j = 0; j < dim; j++) s += (double)r[j] * r[j];
                if (s > 0)
                    for (int j = 0; j < dim; j++) r[j] = (float)(r[j] / std::sqrt(s));
            }
    hnswlib::SpaceInterface<float> *space =
        l2 ? (hnswlib::SpaceInterface<float> *)new hnswlib::L2Space(dim) : new hnswlib::InnerProductSpace(dim);
    long rss0 = rss_bytes();
    double t0 = now();
    auto *index = new hnswlib::HierarchicalNSW<float>(space, (size_t)n, (size_t)m, (size_t)efc, 100);
    const float *b = base.rows<float>();
    index->addPoint(b, 0); /* the first point alone, as hnswlib's examples do */
    parallel_for(n - 1, threads, [&](int i) { index->addPoint(b + (size_t)(i + 1) * dim, (size_t)(i + 1)); });
    double build_s = now() - t0;
    long index_bytes = rss_bytes() - rss0;
    printf("{\"bench\":\"index\",\"engine\":\"hnswlib\",\"data\":\"%s\",\"n\":%d,\"dim\":%d,\"nq\":%d,\"metric\":\"%s\","
           "\"quantization\":\"none\",\"m\":%d,\"ef_construct\":%d,\"threads\":%d,\"build_seconds\":%.3f,"
           "\"index_bytes\":%ld,\"bytes_per_vector\":%.1f,\"search\":[",
           base_path, n, dim, nq, metric, m, efc, threads, build_s, index_bytes, (double)index_bytes / n);
    std::vector<int64_t> ids((size_t)nq * k);
    std::vector<double> lat(nq), lat_best(nq);
    const float *q = queries.rows<float>();
    const int32_t *g = gt.rows<int32_t>();
    for (size_t e = 0; e < efs.size(); e++) {
        index->setEf((size_t)efs[e]);
        auto one = [&](int i) {
            double s = now();
            auto r = index->searchKnn(q + (size_t)i * dim, (size_t)k);
            int64_t *out = ids.data() + (size_t)i * k;
            for (int j = (int)r.size(); j < k; j++) out[j] = -1;
            for (int j = (int)r.size() - 1; j >= 0; j--) {
                out[j] = (int64_t)r.top().second;
                r.pop();
            }
            lat[i] = now() - s;
        };
        double qps_n = 0, qps_1 = 0;
        for (int round = 0; round < 3; round++) {
            double s = now();
            parallel_for(nq, threads, one);
            qps_n = std::max(qps_n, nq / (now() - s));
        }
        for (int round = 0; round < 3; round++) {
            double s = now();
            for (int i = 0; i < nq; i++) one(i);
            double qps = nq / (now() - s);
            if (qps > qps_1) {
                qps_1 = qps;
                lat_best = lat;
            }
        }
        long hit = 0, total = 0;
        for (int i = 0; i < nq; i++)
            for (int j = 0; j < k; j++) {
                int32_t t = g[(size_t)i * gt.d + j];
                if (t < 0) continue;
                total++;
                for (int c = 0; c < k; c++)
                    if (ids[(size_t)i * k + c] == t) { hit++; break; }
            }
        std::sort(lat_best.begin(), lat_best.end());
        printf("%s{\"ef\":%d,\"k\":%d,\"recall\":%.4f,\"qps_1\":%.1f,\"qps_n\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f}",
               e ? "," : "", efs[e], k, total ? (double)hit / total : 1.0, qps_1, qps_n, 1e3 * lat_best[nq / 2],
               1e3 * lat_best[(size_t)nq * 99 / 100]);
    }
    printf("]}\n");
    delete index;
    delete space;
    return 0;
}
