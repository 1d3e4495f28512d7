/* packs.c - the start of a commit object straight from the repository's packs
 * (gitformat-pack(5)): the index finds the object, and only as much of it is
 * inflated as the caller asks for. The walk needs a commit's parents and committer
 * time, the first few hundred bytes; libgit2's reader inflates, hashes and parses
 * the whole object, message included, and maps the pack in windows it keeps
 * remapping: reading 85,000 commits of git's history took 1 s that way.
 *
 * Only whole objects are read here; a commit stored as a delta, a loose object or
 * one in an alternate is the caller's to read through libgit2 (packs_read answers
 * PACKS_ELSEWHERE). The pack is read with pread into a small window rather than
 * mapped: a walk reads commits roughly in pack order, and a mapping would count
 * every page it touched as the process's memory. Every offset is checked against
 * the files' sizes. */
#include "sitrep/sitrep.h"
#include "git-private.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define HASH_LEN 20
#define WINDOW ((size_t)16 << 10)
#define OBJ_COMMIT 1

struct pack {
	const unsigned char *idx; /* the mapped .idx */
	size_t idx_size;
	const unsigned char *fanout, *oids, *offsets, *large;
	uint32_t n, n_large;
	int fd;
	uint64_t size; /* of the .pack */
	unsigned char *window;
	uint64_t window_at;
	size_t window_len;
};

struct packs {
	struct pack *packs;
	size_t n;
	z_stream z;
	bool z_ready;
};

/* A version 2 index and its pack; false (nothing kept) if either does not add up. */
static bool
pack_open(struct pack *p, const char *idx_path)
{
	int fd = open(idx_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *pack_path;
	unsigned char head[12];
	size_t len = strlen(idx_path);

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || st.st_size < 8 + 256 * 4 + 2 * HASH_LEN) {
		close(fd);
		return false;
	}
	p->idx_size = (size_t)st.st_size;
	p->idx = mmap(NULL, p->idx_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p->idx == MAP_FAILED) {
		p->idx = NULL;
		return false;
	}
	/* Lookups land anywhere in it: no reading around (and mapping) their pages. */
	madvise((void *)(uintptr_t)p->idx, p->idx_size, MADV_RANDOM);
	if (memcmp(p->idx, "\377tOc", 4) || git_be32(p->idx + 4) != 2)
		goto bad;
	p->fanout = p->idx + 8;
	p->n = git_be32(p->fanout + 255 * 4);
	p->oids = p->fanout + 256 * 4;
	p->offsets = p->oids + (size_t)p->n * (HASH_LEN + 4); /* after the CRCs */
	p->large = p->offsets + (size_t)p->n * 4;
	if ((size_t)(p->large - p->idx) + 2 * HASH_LEN > p->idx_size)
		goto bad;
	p->n_large = (uint32_t)((p->idx_size - (size_t)(p->large - p->idx) - 2 * HASH_LEN) / 8);

	pack_path = xasprintf("%.*s.pack", (int)(len - 4), idx_path);
	p->fd = open(pack_path, O_RDONLY | O_CLOEXEC);
	free(pack_path);
	if (p->fd < 0 || fstat(p->fd, &st) < 0 || st.st_size < 12 + HASH_LEN ||
	    pread(p->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, "PACK", 4) || (git_be32(head + 4) != 2 && git_be32(head + 4) != 3))
		goto bad;
	p->size = (uint64_t)st.st_size - HASH_LEN; /* the trailing checksum */
	p->window = xmalloc(WINDOW);
	return true;
bad:
	if (p->fd >= 0)
		close(p->fd);
	munmap((void *)(uintptr_t)p->idx, p->idx_size);
	memset(p, 0, sizeof(*p));
	return false;
}

static void
pack_close(struct pack *p)
{
	if (p->idx)
		munmap((void *)(uintptr_t)p->idx, p->idx_size);
	if (p->fd >= 0)
		close(p->fd);
	free(p->window);
}

struct packs *
packs_open(const char *objects_dir)
{
	struct packs *ps = xcalloc(1, sizeof(*ps));
	char *dir = xasprintf("%s/pack", objects_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t alloc = 0;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *path;

		if (len < 5 || strcmp(e->d_name + len - 4, ".idx"))
			continue;
		ps->packs = xgrow(ps->packs, &alloc, ps->n + 1, sizeof(*ps->packs));
		path = xasprintf("%s/%s", dir, e->d_name);
		if (pack_open(&ps->packs[ps->n], path))
			ps->n++;
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return ps;
}

void
packs_close(struct packs *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		pack_close(&ps->packs[i]);
	free(ps->packs);
	if (ps->z_ready)
		inflateEnd(&ps->z);
	free(ps);
}

/* The object's offset in pack p, false if p lacks it. */
static bool
pack_find(const struct pack *p, const unsigned char *oid, uint64_t *offset)
{
	uint32_t i, off;

	if (!git_oid_search(p->fanout, p->oids, p->n, oid, &i))
		return false;
	off = git_be32(p->offsets + (size_t)i * 4);
	if (!(off & 0x80000000u)) {
		*offset = off;
	} else {
		const unsigned char *l;

		if ((off & 0x7fffffffu) >= p->n_large)
			return false;
		l = p->large + (size_t)(off & 0x7fffffffu) * 8;
		*offset = (uint64_t)git_be32(l) << 32 | git_be32(l + 4);
	}
	return *offset < p->size;
}

/* The bytes of the pack from offset on, at least min(want, what is left) of them
 * unless the file cannot be read; *avail says how many. */
static const unsigned char *
pack_bytes(struct pack *p, uint64_t offset, size_t want, size_t *avail)
{
	ssize_t got;

	if (offset >= p->window_at && offset - p->window_at < p->window_len &&
	    (p->window_len - (offset - p->window_at) >= want ||
	     p->window_at + p->window_len >= p->size)) {
		*avail = p->window_len - (size_t)(offset - p->window_at);
		return p->window + (offset - p->window_at);
	}
	if (offset >= p->size) {
		*avail = 0;
		return p->window;
	}
	got = pread(p->fd, p->window, WINDOW, (off_t)offset);
	if (got < 0)
		got = 0;
	p->window_at = offset;
	p->window_len = (size_t)got;
	if (offset + p->window_len > p->size)
		p->window_len = (size_t)(p->size - offset);
	*avail = p->window_len;
	return p->window;
}

/* Inflates the commit at offset until enough() says out holds what the caller
 * needs, or the object ends. */
static enum packs_result
pack_inflate(struct packs *ps, struct pack *p, uint64_t offset, struct object_text *out,
	     bool (*enough)(const char *data, size_t len))
{
	size_t avail, i = 0, size_shift = 4;
	const unsigned char *b = pack_bytes(p, offset, 32, &avail);
	uint64_t size, at;
	int type, rc = Z_OK;

	if (!avail)
		return PACKS_CORRUPT;
	type = (b[0] >> 4) & 7;
	size = b[0] & 15;
	while (b[i] & 0x80) {
		if (++i >= avail || size_shift > 57)
			return PACKS_CORRUPT;
		size |= (uint64_t)(b[i] & 0x7f) << size_shift;
		size_shift += 7;
	}
	if (type != OBJ_COMMIT)
		return PACKS_ELSEWHERE; /* a delta: libgit2 resolves it */
	/* The zlib header read here, the deflate stream inflated raw: no Adler-32 of
	 * the whole object, which is not read whole. */
	at = offset + i + 1;
	b = pack_bytes(p, at, 2, &avail);
	if (avail < 2 || (b[0] & 0x0f) != 8 || (b[0] >> 4) > 7 || (b[1] & 0x20) ||
	    ((unsigned)b[0] << 8 | b[1]) % 31)
		return PACKS_ELSEWHERE;
	at += 2;
	if (!ps->z_ready) {
		memset(&ps->z, 0, sizeof(ps->z));
		if (inflateInit2(&ps->z, -MAX_WBITS) != Z_OK)
			return PACKS_ELSEWHERE;
		ps->z_ready = true;
	} else {
		inflateReset(&ps->z);
	}
	out->len = 0;
	while (rc == Z_OK && out->len < size && !(out->len && enough(out->data, out->len))) {
		size_t step = out->len < 320 ? 320 : out->len; /* doubles what there is */
		unsigned char *in;

		if (step > size - out->len)
			step = (size_t)(size - out->len);
		if (!ps->z.avail_in) {
			in = (unsigned char *)(uintptr_t)pack_bytes(p, at, 4096, &avail);
			if (!avail)
				return PACKS_CORRUPT;
			ps->z.next_in = in;
			ps->z.avail_in = (uInt)(avail < 65536 ? avail : 65536);
			at += ps->z.avail_in;
		}
		out->data = xgrow(out->data, &out->alloc, out->len + step + 1, 1);
		ps->z.next_out = (unsigned char *)out->data + out->len;
		ps->z.avail_out = (uInt)step;
		rc = inflate(&ps->z, Z_NO_FLUSH);
		out->len += step - ps->z.avail_out;
		out->data[out->len] = '\0';
		if (rc == Z_BUF_ERROR && ps->z.avail_out)
			rc = Z_OK; /* wants more input */
	}
	ps->z.avail_in = 0;
	if (rc != Z_OK && rc != Z_STREAM_END)
		return PACKS_CORRUPT;
	if (rc == Z_STREAM_END && out->len != size)
		return PACKS_CORRUPT;
	return PACKS_READ;
}

enum packs_result
packs_read(struct packs *ps, const unsigned char *oid, struct object_text *out,
	   bool (*enough)(const char *data, size_t len))
{
	for (size_t i = 0; i < ps->n; i++) {
		uint64_t offset;

		if (pack_find(&ps->packs[i], oid, &offset))
			return pack_inflate(ps, &ps->packs[i], offset, out, enough);
	}
	return PACKS_ELSEWHERE;
}
