/* commit_graph.c - git's commit-graph file (gitformat-commit-graph(5)), read-only:
 * for the commits it holds, their parents, commit time and generation (the
 * corrected commit date when every layer has one, else the topological level)
 * without inflating a single object. The walk uses generations to lay out the first
 * screen of a large history without walking all of it: a commit's children all have
 * a higher one, so once every commit above a generation has been read, the commits
 * at that generation know all their children.
 *
 * A single objects/info/commit-graph or a split chain (objects/info/commit-graphs/);
 * SHA-1 only. Every offset is checked against the file's size: a file that does not
 * add up is ignored, and the walk reads objects as it would without one. */
#include "sitrep/sitrep.h"
#include "git-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_LEN 20
#define NO_PARENT 0x70000000u
#define EXTRA_EDGES 0x80000000u

struct graph_layer {
	const unsigned char *map;
	size_t size;
	const unsigned char *fanout, *oids, *data, *edges;
	const unsigned char *gen, *gen_overflow; /* GDA2, GDO2 */
	uint32_t n, n_edges, n_overflow;
	uint32_t first; /* commits in the layers below */
};

struct commit_graph {
	struct graph_layer *layers; /* base first */
	size_t n_layers;
	uint32_t n;	/* commits in all layers */
	bool corrected; /* every layer has corrected commit dates (GDA2) */
};

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)git_be32(p) << 32 | git_be32(p + 4);
}

/* Maps path and finds its chunks; false (nothing mapped) if it is not a valid
 * SHA-1 commit-graph with bases base graphs below it. */
static bool
layer_open(struct graph_layer *l, const char *path, unsigned bases)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const unsigned char *m;
	size_t chunks, oidf_len = 0, oidl_len = 0, cdat_len = 0, gda2_len = 0;

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || st.st_size < 8 + 12 + HASH_LEN) {
		close(fd);
		return false;
	}
	l->size = (size_t)st.st_size;
	m = mmap(NULL, l->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	l->map = m;
	madvise((void *)(uintptr_t)m, l->size, MADV_RANDOM); /* sorted by id: lookups jump */
	chunks = m[6];
	if (memcmp(m, "CGPH", 4) || m[4] != 1 || m[5] != 1 || m[7] != bases ||
	    8 + (chunks + 1) * 12 > l->size)
		goto bad;
	for (size_t i = 0; i < chunks; i++) {
		const unsigned char *e = m + 8 + i * 12;
		uint64_t off = be64(e + 4), next = be64(e + 16);

		if (off > next || next > l->size - HASH_LEN)
			goto bad;
		switch (git_be32(e)) {
		case 0x4f494446: /* OIDF */
			l->fanout = m + off;
			oidf_len = (size_t)(next - off);
			break;
		case 0x4f49444c: /* OIDL */
			l->oids = m + off;
			oidl_len = (size_t)(next - off);
			break;
		case 0x43444154: /* CDAT */
			l->data = m + off;
			cdat_len = (size_t)(next - off);
			break;
		case 0x45444745: /* EDGE */
			l->edges = m + off;
			l->n_edges = (uint32_t)((next - off) / 4);
			break;
		case 0x47444132: /* GDA2: corrected commit date offsets */
			l->gen = m + off;
			gda2_len = (size_t)(next - off);
			break;
		case 0x47444f32: /* GDO2: their overflow */
			l->gen_overflow = m + off;
			l->n_overflow = (uint32_t)((next - off) / 8);
			break;
		default:
			break;
		}
	}
	if (!l->fanout || !l->oids || !l->data || oidf_len != 256 * 4)
		goto bad;
	l->n = git_be32(l->fanout + 255 * 4);
	if ((size_t)l->n * HASH_LEN != oidl_len || (size_t)l->n * (HASH_LEN + 16) != cdat_len)
		goto bad;
	if (l->gen && gda2_len != (size_t)l->n * 4)
		l->gen = NULL; /* levels then, not corrected dates */
	return true;
bad:
	munmap((void *)(uintptr_t)l->map, l->size);
	memset(l, 0, sizeof(*l));
	return false;
}

static void
add_layer(struct commit_graph *g, const struct graph_layer *l)
{
	g->layers = xrealloc(g->layers, (g->n_layers + 1) * sizeof(*g->layers));
	g->layers[g->n_layers] = *l;
	g->layers[g->n_layers].first = g->n;
	g->n += l->n;
	g->n_layers++;
}

struct commit_graph *
commit_graph_open(const char *objects_dir)
{
	struct commit_graph *g = xcalloc(1, sizeof(*g));
	struct graph_layer l;
	char *path = xasprintf("%s/info/commit-graph", objects_dir);
	FILE *chain;

	if (layer_open(&l, path, 0)) {
		add_layer(g, &l);
	} else {
		free(path);
		path = xasprintf("%s/info/commit-graphs/commit-graph-chain", objects_dir);
		if ((chain = fopen(path, "r"))) {
			char line[128];

			while (fgets(line, sizeof(line), chain)) {
				char *file;
				bool ok;

				line[strcspn(line, "\n")] = '\0';
				file = xasprintf("%s/info/commit-graphs/graph-%s.graph",
						 objects_dir, line);
				ok = layer_open(&l, file, (unsigned)g->n_layers);
				free(file);
				if (!ok) /* a layer's commits name parents in the ones below */
					break;
				add_layer(g, &l);
			}
			fclose(chain);
		}
	}
	free(path);
	if (!g->n_layers) {
		commit_graph_close(g);
		return NULL;
	}
	g->corrected = true;
	for (size_t i = 0; i < g->n_layers; i++)
		g->corrected = g->corrected && g->layers[i].gen;
	return g;
}

void
commit_graph_close(struct commit_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_layers; i++)
		munmap((void *)(uintptr_t)g->layers[i].map, g->layers[i].size);
	free(g->layers);
	free(g);
}

uint32_t
commit_graph_count(const struct commit_graph *g)
{
	return g->n;
}

bool
commit_graph_find(const struct commit_graph *g, const unsigned char *oid, uint32_t *pos)
{
	for (size_t k = 0; k < g->n_layers; k++) {
		const struct graph_layer *l = &g->layers[k];
		uint32_t i;

		if (git_oid_search(l->fanout, l->oids, l->n, oid, &i)) {
			*pos = l->first + i;
			return true;
		}
	}
	return false;
}

static const struct graph_layer *
layer_of(const struct commit_graph *g, uint32_t pos, uint32_t *index)
{
	for (size_t k = g->n_layers; k-- > 0;)
		if (pos >= g->layers[k].first) {
			*index = pos - g->layers[k].first;
			return *index < g->layers[k].n ? &g->layers[k] : NULL;
		}
	return NULL;
}

bool
commit_graph_oid(const struct commit_graph *g, uint32_t pos, unsigned char *oid)
{
	uint32_t i;
	const struct graph_layer *l = layer_of(g, pos, &i);

	if (!l)
		return false;
	memcpy(oid, l->oids + (size_t)i * HASH_LEN, HASH_LEN);
	return true;
}

bool
commit_graph_commit(const struct commit_graph *g, uint32_t pos, struct commit_graph_entry *e)
{
	uint32_t i, p1, p2;
	const struct graph_layer *l = layer_of(g, pos, &i);
	const unsigned char *d;

	if (!l)
		return false;
	d = l->data + (size_t)i * (HASH_LEN + 16) + HASH_LEN;
	p1 = git_be32(d);
	p2 = git_be32(d + 4);
	e->time = (int64_t)((uint64_t)(git_be32(d + 8) & 3) << 32 | git_be32(d + 12));
	e->level = git_be32(d + 8) >> 2;
	if (g->corrected) {
		/* The corrected commit date: above every parent's too, and close to the
		 * commit time, so a walk newest first reads little ahead of what it shows
		 * (a topological level can sit far from it on a long-lived branch). */
		uint32_t off = git_be32(l->gen + (size_t)i * 4);

		if (!(off & 0x80000000u))
			e->level = (uint64_t)e->time + off;
		else if ((off & 0x7fffffffu) < l->n_overflow)
			e->level = (uint64_t)e->time +
				   be64(l->gen_overflow + (size_t)(off & 0x7fffffffu) * 8);
		else
			return false;
	}
	e->n_parents = 0;
	if (p1 == NO_PARENT)
		return true;
	if (p1 >= g->n)
		return false;
	e->parents[e->n_parents++] = p1;
	if (p2 == NO_PARENT)
		return true;
	if (!(p2 & EXTRA_EDGES)) {
		if (p2 >= g->n)
			return false;
		e->parents[e->n_parents++] = p2;
		return true;
	}
	for (uint32_t k = p2 & ~EXTRA_EDGES; k < l->n_edges; k++) {
		uint32_t v = git_be32(l->edges + (size_t)k * 4);

		if ((v & ~EXTRA_EDGES) >= g->n || e->n_parents == COMMIT_GRAPH_MAX_PARENTS)
			return false;
		e->parents[e->n_parents++] = v & ~EXTRA_EDGES;
		if (v & EXTRA_EDGES)
			return true;
	}
	return false; /* the edge list ran out */
}
