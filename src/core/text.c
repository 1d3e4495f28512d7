/* text.c - UTF-8 decoding, display width, and the sanitizer for untrusted text.
 *
 * text_sanitize() is a security boundary: upstream text is attacker-controlled, and a
 * terminal obeys any control or escape sequence that reaches it (retitle the window,
 * write the clipboard with OSC 52, hide text, move the cursor over other rows). So the
 * sanitizer's output holds no C0 or C1 control, DEL, or byte that is not valid UTF-8,
 * whatever its input, and dropping too much is always preferred to letting one through.
 * Widths come from our own tables rather than wcwidth(), so they do not depend on the
 * C locale or the libc version. Nothing here allocates except text_sanitize(). */
#include "sitrep/sitrep.h"
#include "sitrep/text.h"

#include <langinfo.h>

#define ESC 0x1b

struct cp_range {
	uint32_t first;
	uint32_t last;
};

/* Generated from the Unicode 14.0 database (Python unicodedata). zero_width: general
 * category Mn, Me and Cf (minus the soft hyphen and the prepended concatenation marks,
 * which are drawn), plus the conjoining Hangul vowels and finals that a terminal
 * stacks onto the preceding syllable. double_width: East_Asian_Width W or F, which
 * includes the emoji with default emoji presentation. Gaps of at most 16 unassigned
 * code points are merged to keep the tables short. Characters in both (a few CJK
 * combining marks) are zero width: zero_width is consulted first. */
static const struct cp_range zero_width[] = {
	{ 0x0300, 0x036F },   { 0x0483, 0x0489 },   { 0x0591, 0x05BD },	  { 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 },   { 0x05C4, 0x05C5 },   { 0x05C7, 0x05C7 },	  { 0x0610, 0x061A },
	{ 0x061C, 0x061C },   { 0x064B, 0x065F },   { 0x0670, 0x0670 },	  { 0x06D6, 0x06DC },
	{ 0x06DF, 0x06E4 },   { 0x06E7, 0x06E8 },   { 0x06EA, 0x06ED },	  { 0x0711, 0x0711 },
	{ 0x0730, 0x074A },   { 0x07A6, 0x07B0 },   { 0x07EB, 0x07F3 },	  { 0x07FD, 0x07FD },
	{ 0x0816, 0x0819 },   { 0x081B, 0x0823 },   { 0x0825, 0x0827 },	  { 0x0829, 0x082D },
	{ 0x0859, 0x085B },   { 0x0898, 0x089F },   { 0x08CA, 0x08E1 },	  { 0x08E3, 0x0902 },
	{ 0x093A, 0x093A },   { 0x093C, 0x093C },   { 0x0941, 0x0948 },	  { 0x094D, 0x094D },
	{ 0x0951, 0x0957 },   { 0x0962, 0x0963 },   { 0x0981, 0x0981 },	  { 0x09BC, 0x09BC },
	{ 0x09C1, 0x09C4 },   { 0x09CD, 0x09CD },   { 0x09E2, 0x09E3 },	  { 0x09FE, 0x0A02 },
	{ 0x0A3C, 0x0A3C },   { 0x0A41, 0x0A51 },   { 0x0A70, 0x0A71 },	  { 0x0A75, 0x0A75 },
	{ 0x0A81, 0x0A82 },   { 0x0ABC, 0x0ABC },   { 0x0AC1, 0x0AC8 },	  { 0x0ACD, 0x0ACD },
	{ 0x0AE2, 0x0AE3 },   { 0x0AFA, 0x0B01 },   { 0x0B3C, 0x0B3C },	  { 0x0B3F, 0x0B3F },
	{ 0x0B41, 0x0B44 },   { 0x0B4D, 0x0B56 },   { 0x0B62, 0x0B63 },	  { 0x0B82, 0x0B82 },
	{ 0x0BC0, 0x0BC0 },   { 0x0BCD, 0x0BCD },   { 0x0C00, 0x0C00 },	  { 0x0C04, 0x0C04 },
	{ 0x0C3C, 0x0C3C },   { 0x0C3E, 0x0C40 },   { 0x0C46, 0x0C56 },	  { 0x0C62, 0x0C63 },
	{ 0x0C81, 0x0C81 },   { 0x0CBC, 0x0CBC },   { 0x0CBF, 0x0CBF },	  { 0x0CC6, 0x0CC6 },
	{ 0x0CCC, 0x0CCD },   { 0x0CE2, 0x0CE3 },   { 0x0D00, 0x0D01 },	  { 0x0D3B, 0x0D3C },
	{ 0x0D41, 0x0D44 },   { 0x0D4D, 0x0D4D },   { 0x0D62, 0x0D63 },	  { 0x0D81, 0x0D81 },
	{ 0x0DCA, 0x0DCA },   { 0x0DD2, 0x0DD6 },   { 0x0E31, 0x0E31 },	  { 0x0E34, 0x0E3A },
	{ 0x0E47, 0x0E4E },   { 0x0EB1, 0x0EB1 },   { 0x0EB4, 0x0EBC },	  { 0x0EC8, 0x0ECD },
	{ 0x0F18, 0x0F19 },   { 0x0F35, 0x0F35 },   { 0x0F37, 0x0F37 },	  { 0x0F39, 0x0F39 },
	{ 0x0F71, 0x0F7E },   { 0x0F80, 0x0F84 },   { 0x0F86, 0x0F87 },	  { 0x0F8D, 0x0FBC },
	{ 0x0FC6, 0x0FC6 },   { 0x102D, 0x1030 },   { 0x1032, 0x1037 },	  { 0x1039, 0x103A },
	{ 0x103D, 0x103E },   { 0x1058, 0x1059 },   { 0x105E, 0x1060 },	  { 0x1071, 0x1074 },
	{ 0x1082, 0x1082 },   { 0x1085, 0x1086 },   { 0x108D, 0x108D },	  { 0x109D, 0x109D },
	{ 0x1160, 0x11FF },   { 0x135D, 0x135F },   { 0x1712, 0x1714 },	  { 0x1732, 0x1733 },
	{ 0x1752, 0x1753 },   { 0x1772, 0x1773 },   { 0x17B4, 0x17B5 },	  { 0x17B7, 0x17BD },
	{ 0x17C6, 0x17C6 },   { 0x17C9, 0x17D3 },   { 0x17DD, 0x17DD },	  { 0x180B, 0x180F },
	{ 0x1885, 0x1886 },   { 0x18A9, 0x18A9 },   { 0x1920, 0x1922 },	  { 0x1927, 0x1928 },
	{ 0x1932, 0x1932 },   { 0x1939, 0x193B },   { 0x1A17, 0x1A18 },	  { 0x1A1B, 0x1A1B },
	{ 0x1A56, 0x1A56 },   { 0x1A58, 0x1A60 },   { 0x1A62, 0x1A62 },	  { 0x1A65, 0x1A6C },
	{ 0x1A73, 0x1A7F },   { 0x1AB0, 0x1ACE },   { 0x1B00, 0x1B03 },	  { 0x1B34, 0x1B34 },
	{ 0x1B36, 0x1B3A },   { 0x1B3C, 0x1B3C },   { 0x1B42, 0x1B42 },	  { 0x1B6B, 0x1B73 },
	{ 0x1B80, 0x1B81 },   { 0x1BA2, 0x1BA5 },   { 0x1BA8, 0x1BA9 },	  { 0x1BAB, 0x1BAD },
	{ 0x1BE6, 0x1BE6 },   { 0x1BE8, 0x1BE9 },   { 0x1BED, 0x1BED },	  { 0x1BEF, 0x1BF1 },
	{ 0x1C2C, 0x1C33 },   { 0x1C36, 0x1C37 },   { 0x1CD0, 0x1CD2 },	  { 0x1CD4, 0x1CE0 },
	{ 0x1CE2, 0x1CE8 },   { 0x1CED, 0x1CED },   { 0x1CF4, 0x1CF4 },	  { 0x1CF8, 0x1CF9 },
	{ 0x1DC0, 0x1DFF },   { 0x200B, 0x200F },   { 0x202A, 0x202E },	  { 0x2060, 0x206F },
	{ 0x20D0, 0x20F0 },   { 0x2CEF, 0x2CF1 },   { 0x2D7F, 0x2D7F },	  { 0x2DE0, 0x2DFF },
	{ 0x302A, 0x302D },   { 0x3099, 0x309A },   { 0xA66F, 0xA672 },	  { 0xA674, 0xA67D },
	{ 0xA69E, 0xA69F },   { 0xA6F0, 0xA6F1 },   { 0xA802, 0xA802 },	  { 0xA806, 0xA806 },
	{ 0xA80B, 0xA80B },   { 0xA825, 0xA826 },   { 0xA82C, 0xA82C },	  { 0xA8C4, 0xA8C5 },
	{ 0xA8E0, 0xA8F1 },   { 0xA8FF, 0xA8FF },   { 0xA926, 0xA92D },	  { 0xA947, 0xA951 },
	{ 0xA980, 0xA982 },   { 0xA9B3, 0xA9B3 },   { 0xA9B6, 0xA9B9 },	  { 0xA9BC, 0xA9BD },
	{ 0xA9E5, 0xA9E5 },   { 0xAA29, 0xAA2E },   { 0xAA31, 0xAA32 },	  { 0xAA35, 0xAA36 },
	{ 0xAA43, 0xAA43 },   { 0xAA4C, 0xAA4C },   { 0xAA7C, 0xAA7C },	  { 0xAAB0, 0xAAB0 },
	{ 0xAAB2, 0xAAB4 },   { 0xAAB7, 0xAAB8 },   { 0xAABE, 0xAABF },	  { 0xAAC1, 0xAAC1 },
	{ 0xAAEC, 0xAAED },   { 0xAAF6, 0xAAF6 },   { 0xABE5, 0xABE5 },	  { 0xABE8, 0xABE8 },
	{ 0xABED, 0xABED },   { 0xD7B0, 0xD7FF },   { 0xFB1E, 0xFB1E },	  { 0xFE00, 0xFE0F },
	{ 0xFE20, 0xFE2F },   { 0xFEFF, 0xFEFF },   { 0xFFF9, 0xFFFB },	  { 0x101FD, 0x101FD },
	{ 0x102E0, 0x102E0 }, { 0x10376, 0x1037A }, { 0x10A01, 0x10A0F }, { 0x10A38, 0x10A3F },
	{ 0x10AE5, 0x10AE6 }, { 0x10D24, 0x10D27 }, { 0x10EAB, 0x10EAC }, { 0x10F46, 0x10F50 },
	{ 0x10F82, 0x10F85 }, { 0x11001, 0x11001 }, { 0x11038, 0x11046 }, { 0x11070, 0x11070 },
	{ 0x11073, 0x11074 }, { 0x1107F, 0x11081 }, { 0x110B3, 0x110B6 }, { 0x110B9, 0x110BA },
	{ 0x110C2, 0x110C2 }, { 0x11100, 0x11102 }, { 0x11127, 0x1112B }, { 0x1112D, 0x11134 },
	{ 0x11173, 0x11173 }, { 0x11180, 0x11181 }, { 0x111B6, 0x111BE }, { 0x111C9, 0x111CC },
	{ 0x111CF, 0x111CF }, { 0x1122F, 0x11231 }, { 0x11234, 0x11234 }, { 0x11236, 0x11237 },
	{ 0x1123E, 0x1123E }, { 0x112DF, 0x112DF }, { 0x112E3, 0x112EA }, { 0x11300, 0x11301 },
	{ 0x1133B, 0x1133C }, { 0x11340, 0x11340 }, { 0x11366, 0x11374 }, { 0x11438, 0x1143F },
	{ 0x11442, 0x11444 }, { 0x11446, 0x11446 }, { 0x1145E, 0x1145E }, { 0x114B3, 0x114B8 },
	{ 0x114BA, 0x114BA }, { 0x114BF, 0x114C0 }, { 0x114C2, 0x114C3 }, { 0x115B2, 0x115B5 },
	{ 0x115BC, 0x115BD }, { 0x115BF, 0x115C0 }, { 0x115DC, 0x115DD }, { 0x11633, 0x1163A },
	{ 0x1163D, 0x1163D }, { 0x1163F, 0x11640 }, { 0x116AB, 0x116AB }, { 0x116AD, 0x116AD },
	{ 0x116B0, 0x116B5 }, { 0x116B7, 0x116B7 }, { 0x1171D, 0x1171F }, { 0x11722, 0x11725 },
	{ 0x11727, 0x1172B }, { 0x1182F, 0x11837 }, { 0x11839, 0x1183A }, { 0x1193B, 0x1193C },
	{ 0x1193E, 0x1193E }, { 0x11943, 0x11943 }, { 0x119D4, 0x119DB }, { 0x119E0, 0x119E0 },
	{ 0x11A01, 0x11A0A }, { 0x11A33, 0x11A38 }, { 0x11A3B, 0x11A3E }, { 0x11A47, 0x11A47 },
	{ 0x11A51, 0x11A56 }, { 0x11A59, 0x11A5B }, { 0x11A8A, 0x11A96 }, { 0x11A98, 0x11A99 },
	{ 0x11C30, 0x11C3D }, { 0x11C3F, 0x11C3F }, { 0x11C92, 0x11CA7 }, { 0x11CAA, 0x11CB0 },
	{ 0x11CB2, 0x11CB3 }, { 0x11CB5, 0x11CB6 }, { 0x11D31, 0x11D45 }, { 0x11D47, 0x11D47 },
	{ 0x11D90, 0x11D91 }, { 0x11D95, 0x11D95 }, { 0x11D97, 0x11D97 }, { 0x11EF3, 0x11EF4 },
	{ 0x13430, 0x13438 }, { 0x16AF0, 0x16AF4 }, { 0x16B30, 0x16B36 }, { 0x16F4F, 0x16F4F },
	{ 0x16F8F, 0x16F92 }, { 0x16FE4, 0x16FE4 }, { 0x1BC9D, 0x1BC9E }, { 0x1BCA0, 0x1BCA3 },
	{ 0x1CF00, 0x1CF46 }, { 0x1D167, 0x1D169 }, { 0x1D173, 0x1D182 }, { 0x1D185, 0x1D18B },
	{ 0x1D1AA, 0x1D1AD }, { 0x1D242, 0x1D244 }, { 0x1DA00, 0x1DA36 }, { 0x1DA3B, 0x1DA6C },
	{ 0x1DA75, 0x1DA75 }, { 0x1DA84, 0x1DA84 }, { 0x1DA9B, 0x1DAAF }, { 0x1E000, 0x1E02A },
	{ 0x1E130, 0x1E136 }, { 0x1E2AE, 0x1E2AE }, { 0x1E2EC, 0x1E2EF }, { 0x1E8D0, 0x1E8D6 },
	{ 0x1E944, 0x1E94A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F }, { 0xE0100, 0xE01EF },
};
static const struct cp_range double_width[] = {
	{ 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A },	  { 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 },   { 0x23F3, 0x23F3 },   { 0x25FD, 0x25FE },	  { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 },   { 0x267F, 0x267F },   { 0x2693, 0x2693 },	  { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB },   { 0x26BD, 0x26BE },   { 0x26C4, 0x26C5 },	  { 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 },   { 0x26EA, 0x26EA },   { 0x26F2, 0x26F3 },	  { 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA },   { 0x26FD, 0x26FD },   { 0x2705, 0x2705 },	  { 0x270A, 0x270B },
	{ 0x2728, 0x2728 },   { 0x274C, 0x274C },   { 0x274E, 0x274E },	  { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 },   { 0x2795, 0x2797 },   { 0x27B0, 0x27B0 },	  { 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C },   { 0x2B50, 0x2B50 },   { 0x2B55, 0x2B55 },	  { 0x2E80, 0x2FD5 },
	{ 0x2FF0, 0x303E },   { 0x3041, 0x3247 },   { 0x3250, 0x4DBF },	  { 0x4E00, 0xA4C6 },
	{ 0xA960, 0xA97C },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },	  { 0xFE10, 0xFE19 },
	{ 0xFE30, 0xFE6B },   { 0xFF01, 0xFF60 },   { 0xFFE0, 0xFFE6 },	  { 0x16FE0, 0x18CD5 },
	{ 0x18D00, 0x18D08 }, { 0x1AFF0, 0x1B122 }, { 0x1B150, 0x1B152 }, { 0x1B164, 0x1B2FB },
	{ 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A },
	{ 0x1F200, 0x1F265 }, { 0x1F300, 0x1F320 }, { 0x1F32D, 0x1F335 }, { 0x1F337, 0x1F37C },
	{ 0x1F37E, 0x1F393 }, { 0x1F3A0, 0x1F3CA }, { 0x1F3CF, 0x1F3D3 }, { 0x1F3E0, 0x1F3F0 },
	{ 0x1F3F4, 0x1F3F4 }, { 0x1F3F8, 0x1F43E }, { 0x1F440, 0x1F440 }, { 0x1F442, 0x1F4FC },
	{ 0x1F4FF, 0x1F53D }, { 0x1F54B, 0x1F54E }, { 0x1F550, 0x1F567 }, { 0x1F57A, 0x1F57A },
	{ 0x1F595, 0x1F596 }, { 0x1F5A4, 0x1F5A4 }, { 0x1F5FB, 0x1F64F }, { 0x1F680, 0x1F6C5 },
	{ 0x1F6CC, 0x1F6CC }, { 0x1F6D0, 0x1F6D2 }, { 0x1F6D5, 0x1F6DF }, { 0x1F6EB, 0x1F6EC },
	{ 0x1F6F4, 0x1F6FC }, { 0x1F7E0, 0x1F7F0 }, { 0x1F90C, 0x1F93A }, { 0x1F93C, 0x1F945 },
	{ 0x1F947, 0x1F9FF }, { 0x1FA70, 0x1FAF6 }, { 0x20000, 0x3FFFD },
};

static bool
in_table(uint32_t cp, const struct cp_range *table, size_t n)
{
	size_t lo = 0, hi = n;

	if (cp < table[0].first || cp > table[n - 1].last)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp > table[mid].last)
			lo = mid + 1;
		else if (cp < table[mid].first)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* Returns the length of the valid sequence at s, or, when *valid is false, of the
 * maximal subpart of the invalid one (Unicode 14.0, section 3.9, "U+FFFD Substitution
 * of Maximal Subparts"): the longest prefix that could still have begun a valid
 * sequence, or one byte. Narrowing the range of the first continuation byte is what
 * rejects overlongs (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points
 * past U+10FFFF (F4 90..BF); C0, C1 and F5..FF can never lead. len must be > 0. */
static size_t
utf8_scan(const unsigned char *s, size_t len, uint32_t *cp, bool *valid)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	*valid = false;
	if (c < 0x80) {
		*cp = c;
		*valid = true;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return i;
		v = v << 6 | (uint32_t)(s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	*valid = true;
	return need + 1;
}

size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	uint32_t v;
	bool valid;
	size_t n;

	if (!s || len == 0)
		return 0;
	n = utf8_scan((const unsigned char *)s, len, &v, &valid);
	if (!valid)
		return 0;
	*cp = v;
	return n;
}

static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int
codepoint_width(uint32_t cp)
{
	if (is_control(cp))
		return 0;
	/* Not characters at all; whoever draws them draws U+FFFD. */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 1;
	if (cp < 0x0300)
		return 1;
	if (in_table(cp, zero_width, ARRAY_SIZE(zero_width)))
		return 0;
	if (in_table(cp, double_width, ARRAY_SIZE(double_width)))
		return 2;
	return 1;
}

size_t
text_width(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, width = 0;

	while (s && i < len) {
		uint32_t cp;
		bool valid;

		i += utf8_scan(u + i, len - i, &cp, &valid);
		width += valid ? (size_t)codepoint_width(cp) : 1;
	}
	return width;
}

/* CSI: parameter (0x30-0x3f) and intermediate (0x20-0x2f) bytes, then one final byte
 * (0x40-0x7e). Any other byte ends the sequence unconsumed, so that an ESC or C1
 * introducer hidden inside a malformed CSI still starts a sequence of its own. */
static size_t
skip_csi(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && s[i] >= 0x20 && s[i] <= 0x3f)
		i++;
	if (i < len && s[i] >= 0x40 && s[i] <= 0x7e)
		i++;
	return i;
}

/* OSC, DCS, SOS, PM, APC: everything up to ST (ESC \ or U+009C), or BEL for OSC,
 * which is how xterm's OSC 0 and OSC 52 are usually ended. An ESC that is not part of
 * ST ends the string too, as it does in a terminal, and is left for the caller. An
 * unterminated string runs to the end of the input: better to lose the rest of a
 * title than to print the payload of a half-sent clipboard write. */
static size_t
skip_string(const unsigned char *s, size_t len, size_t i, bool bel_ends)
{
	for (; i < len; i++) {
		if (s[i] == ESC)
			return i + 1 < len && s[i + 1] == '\\' ? i + 2 : i;
		if (bel_ends && s[i] == 0x07)
			return i + 1;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x9c)
			return i + 2;
	}
	return len;
}

/* ESC at s[i]: returns the index past the whole sequence. */
static size_t
skip_escape(const unsigned char *s, size_t len, size_t i)
{
	if (++i >= len)
		return len;
	switch (s[i]) {
	case '[':
		return skip_csi(s, len, i + 1);
	case ']':
		return skip_string(s, len, i + 1, true);
	case 'P': /* DCS */
	case 'X': /* SOS */
	case '^': /* PM */
	case '_': /* APC */
		return skip_string(s, len, i + 1, false);
	}
	/* ESC, intermediates (charset designations such as ESC ( B), one final byte.
	 * Anything else leaves the lone ESC dropped and the byte for the caller. */
	while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	if (i < len && s[i] >= 0x30 && s[i] <= 0x7e)
		i++;
	return i;
}

/* C1 control cp (U+0080-U+009F) encoded as UTF-8, ending at s[i]: returns the index
 * past it and the sequence it introduces, if any. */
static size_t
skip_c1(const unsigned char *s, size_t len, size_t i, uint32_t cp)
{
	switch (cp) {
	case 0x9b: /* CSI */
		return skip_csi(s, len, i);
	case 0x9d: /* OSC */
		return skip_string(s, len, i, true);
	case 0x90: /* DCS */
	case 0x98: /* SOS */
	case 0x9e: /* PM */
	case 0x9f: /* APC */
		return skip_string(s, len, i, false);
	default:
		return i;
	}
}

static bool
is_bidi_control(uint32_t cp)
{
	/* LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI: they reorder the text drawn
	 * after them ("Trojan Source", CVE-2021-42574). */
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *
text_sanitize(const char *s, size_t len, bool keep_newlines)
{
	const unsigned char *u = (const unsigned char *)s;
	const char newline = keep_newlines ? '\n' : ' ';
	size_t i = 0, n, out_len = 0;
	char *out;

	if (!s)
		len = 0;
	/* Each byte becomes at most one U+FFFD, three bytes. */
	if (len > (SIZE_MAX - 1) / 3)
		die("text_sanitize: %zu bytes is too large", len);
	out = xmalloc(len * 3 + 1);

	while (i < len) {
		uint32_t cp;
		bool valid;

		if (u[i] == ESC) {
			i = skip_escape(u, len, i);
			continue;
		}
		n = utf8_scan(u + i, len - i, &cp, &valid);
		if (!valid) {
			memcpy(out + out_len, "\xef\xbf\xbd", 3);
			out_len += 3;
			i += n;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			i = skip_c1(u, len, i + n, cp);
			continue;
		}
		if (cp == '\t') {
			out[out_len++] = ' ';
		} else if (cp == '\n' || cp == 0x2028 || cp == 0x2029) {
			out[out_len++] = newline;
		} else if (cp == '\r') {
			/* CR LF is one line break, a lone CR another. */
			if (i + 1 >= len || u[i + 1] != '\n')
				out[out_len++] = newline;
		} else if (!is_control(cp) && !is_bidi_control(cp)) {
			memcpy(out + out_len, s + i, n);
			out_len += n;
		}
		i += n;
	}
	out[out_len] = '\0';
	return xrealloc(out, out_len + 1);
}

/* Copies whole characters of s into out while they fit in max_width columns and cap
 * bytes; *complete tells whether all of s fitted. Controls, which sanitized text does
 * not have, are dropped (tab and newline become a space) so that even unsanitized
 * text cannot emit one from here. Without utf8 the terminal cannot draw anything but
 * ASCII, so each other visible character becomes one '?'. */
static size_t
copy_cells(const char *s, size_t len, size_t max_width, bool utf8, char *out, size_t cap,
	   size_t *out_len, bool *complete)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, width = 0, o = 0;

	while (i < len) {
		const char *bytes = s + i;
		uint32_t cp;
		bool valid;
		size_t n = utf8_scan(u + i, len - i, &cp, &valid), nbytes, w;

		if (!valid) {
			bytes = utf8 ? "\xef\xbf\xbd" : "?";
			nbytes = utf8 ? 3 : 1;
			w = 1;
		} else if (cp == '\t' || cp == '\n') {
			bytes = " ";
			nbytes = 1;
			w = 1;
		} else if (is_control(cp)) {
			nbytes = 0;
			w = 0;
		} else {
			w = (size_t)codepoint_width(cp);
			nbytes = n;
			if (!utf8 && cp >= 0x80) {
				bytes = "?";
				nbytes = w ? 1 : 0;
				w = w ? 1 : 0;
			}
		}
		if (width + w > max_width || o + nbytes > cap)
			break;
		memcpy(out + o, bytes, nbytes);
		o += nbytes;
		width += w;
		i += n;
	}
	*out_len = o;
	*complete = i == len;
	return width;
}

size_t
text_truncate(const char *s, size_t max_width, bool utf8, char *buf, size_t size)
{
	const char *mark = utf8 ? "\xe2\x80\xa6" : "~";
	size_t mark_len = strlen(mark), len, out_len, width;
	bool complete;

	if (!buf || size == 0)
		return 0;
	buf[0] = '\0';
	if (!s || max_width == 0)
		return 0;
	len = strlen(s);
	width = copy_cells(s, len, max_width, utf8, buf, size - 1, &out_len, &complete);
	if (!complete && size - 1 >= mark_len) {
		/* Cut again leaving room for the mark, which takes one column. */
		width = copy_cells(s, len, max_width - 1, utf8, buf, size - 1 - mark_len, &out_len,
				   &complete);
		memcpy(buf + out_len, mark, mark_len);
		out_len += mark_len;
		width++;
	}
	buf[out_len] = '\0';
	return width;
}

bool
text_locale_utf8(void)
{
	static int utf8 = -1;

	if (utf8 < 0) {
		const char *codeset = nl_langinfo(CODESET);

		utf8 = codeset &&
		       (strcasecmp(codeset, "UTF-8") == 0 || strcasecmp(codeset, "utf8") == 0);
	}
	return utf8 == 1;
}
