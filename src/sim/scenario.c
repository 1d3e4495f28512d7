/* scenario.c - the built-in scenario: the text of data/sim/week.json, so that
 * sitrep-sim runs from any directory (the demo, an installed copy) without finding
 * its data. tests/integration/sim.sh checks that both give the same answers; edit
 * them together.
 *
 * Kept as one string per line: ISO C only promises string literals of 4095 bytes,
 * and -Wpedantic holds us to it. */
#include "sitrep/sitrep.h"
#include "sim.h"

static const char *const lines[] = {
	"{",
	"  \"name\": \"week\",",
	"  \"description\": \"Three services over a week: six days of history before --start, "
	"incidents open at --start, and more to come. Offsets count from --start (default "
	"2025-03-03T08:00:00Z, a Monday).\",",
	"  \"services\": [",
	"    {\"name\": \"checkout\", \"rpm\": 1200, \"latency_ms\": 120, \"error_ratio\": 0.002, "
	"\"cpu\": 30, \"memory\": 52, \"consumers\": 340},",
	"    {\"name\": \"search\", \"rpm\": 4800, \"latency_ms\": 45, \"error_ratio\": 0.001, "
	"\"cpu\": 45, \"memory\": 63, \"consumers\": 910},",
	"    {\"name\": \"payments\", \"rpm\": 600, \"latency_ms\": 210, \"error_ratio\": 0.003, "
	"\"cpu\": 22, \"memory\": 47, \"consumers\": 120}",
	"  ],",
	"  \"incidents\": [",
	"    {\"id\": \"SIM-101\", \"service\": \"checkout\", \"severity\": \"critical\", "
	"\"alertname\": \"CheckoutHighErrorRate\", \"symptom\": \"errors\",",
	"     \"title\": \"Checkout 5xx rate above 5%\", \"description\": \"HTTP 5xx share of "
	"checkout requests above 5% for 3 minutes\",",
	"     \"impact\": \"-5d18h\", \"fire\": \"-5d17h56m\", \"ack\": \"-5d17h49m\", "
	"\"resolve\": \"-5d17h05m\", \"acked_by\": \"dana\"},",
	"    {\"id\": \"SIM-102\", \"service\": \"search\", \"severity\": \"warning\", "
	"\"alertname\": \"SearchLatencyHigh\", \"symptom\": \"latency\",",
	"     \"title\": \"Search p99 latency above 800ms\",",
	"     \"impact\": \"-4d23h30m\", \"fire\": \"-4d23h20m\", \"ack\": \"-4d22h55m\", "
	"\"resolve\": \"-4d21h40m\", \"acked_by\": \"lee\"},",
	"    {\"id\": \"SIM-103\", \"service\": \"payments\", \"severity\": \"critical\", "
	"\"alertname\": \"PaymentsDown\", \"symptom\": \"outage\",",
	"     \"title\": \"Payments provider timeouts: card authorisations failing\",",
	"     \"impact\": \"-3d20h40m\", \"fire\": \"-3d20h37m\", \"ack\": \"-3d20h21m\", "
	"\"resolve\": \"-3d18h02m\", \"acked_by\": \"sam\"},",
	"    {\"id\": \"SIM-104\", \"service\": \"checkout\", \"severity\": \"warning\", "
	"\"alertname\": \"CheckoutCPUSaturated\", \"symptom\": \"cpu\",",
	"     \"title\": \"Checkout CPU above 90% on 3 of 8 pods\",",
	"     \"impact\": \"-2d22h\", \"fire\": \"-2d21h50m\", \"ack\": \"-2d21h20m\", "
	"\"resolve\": \"-2d20h35m\", \"acked_by\": \"dana\"},",
	"    {\"id\": \"SIM-105\", \"service\": \"search\", \"severity\": \"info\", \"alertname\": "
	"\"SearchCacheHitRatioLow\", \"symptom\": \"latency\",",
	"     \"title\": \"Search cache hit ratio below 60%\",",
	"     \"impact\": \"-2d03h\", \"fire\": \"-2d02h50m\", \"resolve\": \"-2d02h20m\"},",
	"    {\"id\": \"SIM-106\", \"service\": \"search\", \"severity\": \"critical\", "
	"\"alertname\": \"SearchShardUnassigned\", \"symptom\": \"errors\",",
	"     \"title\": \"Search index shard unassigned\",",
	"     \"impact\": \"-1d19h12m\", \"fire\": \"-1d19h09m\", \"ack\": \"-1d19h01m\", "
	"\"resolve\": \"-1d17h30m\", \"acked_by\": \"lee\", \"silence_on_ack\": true},",
	"    {\"id\": \"SIM-107\", \"service\": \"payments\", \"severity\": \"warning\", "
	"\"alertname\": \"PaymentsMemoryHigh\", \"symptom\": \"memory\",",
	"     \"title\": \"Payments memory above 85% after 2.14.0 deploy\",",
	"     \"impact\": \"-23h\", \"fire\": \"-22h30m\", \"ack\": \"-21h\", \"resolve\": "
	"\"-17h45m\", \"acked_by\": \"sam\"},",
	"    {\"id\": \"SIM-108\", \"service\": \"checkout\", \"severity\": \"critical\", "
	"\"alertname\": \"CheckoutHighErrorRate\", \"symptom\": \"errors\",",
	"     \"title\": \"Checkout 5xx rate above 5%\", \"description\": \"HTTP 5xx share of "
	"checkout requests above 5% for 3 minutes\",",
	"     \"impact\": \"-25m\", \"fire\": \"-21m\", \"ack\": \"-14m\", \"resolve\": \"+35m\", "
	"\"acked_by\": \"dana\", \"silence_on_ack\": true},",
	"    {\"id\": \"SIM-109\", \"service\": \"checkout\", \"severity\": \"warning\", "
	"\"alertname\": \"CheckoutLatencyHigh\", \"symptom\": \"latency\",",
	"     \"title\": \"Checkout latency above 400ms\",",
	"     \"impact\": \"-18m\", \"fire\": \"-15m\", \"resolve\": \"+30m\"},",
	"    {\"id\": \"SIM-110\", \"service\": \"payments\", \"severity\": \"warning\", "
	"\"alertname\": \"PaymentsWebhookBacklog\", \"symptom\": \"errors\",",
	"     \"title\": \"Payments webhook backlog \\u001b]0;owned\\u0007growing\",",
	"     \"impact\": \"-9m\", \"fire\": \"-6m\", \"ack\": \"+12m\", \"resolve\": \"+1h50m\", "
	"\"acked_by\": \"sam\"},",
	"    {\"id\": \"SIM-111\", \"service\": \"search\", \"severity\": \"warning\", "
	"\"alertname\": \"SearchLatencyHigh\", \"symptom\": \"latency\",",
	"     \"title\": \"Search p99 latency above 800ms\",",
	"     \"impact\": \"-2m\", \"fire\": \"+3m\", \"ack\": \"+11m\", \"resolve\": \"+48m\", "
	"\"acked_by\": \"lee\"},",
	"    {\"id\": \"SIM-112\", \"service\": \"payments\", \"severity\": \"critical\", "
	"\"alertname\": \"PaymentsDown\", \"symptom\": \"outage\",",
	"     \"title\": \"Payments API down: all pods crash-looping\",",
	"     \"impact\": \"+3h05m\", \"fire\": \"+3h07m\", \"ack\": \"+3h12m\", \"resolve\": "
	"\"+3h51m\", \"acked_by\": \"sam\"},",
	"    {\"id\": \"SIM-113\", \"service\": \"checkout\", \"severity\": \"warning\", "
	"\"alertname\": \"CheckoutCPUSaturated\", \"symptom\": \"cpu\",",
	"     \"title\": \"Checkout CPU above 90% on 3 of 8 pods\",",
	"     \"impact\": \"+1d02h\", \"fire\": \"+1d02h10m\", \"ack\": \"+1d02h25m\", "
	"\"resolve\": \"+1d03h\", \"acked_by\": \"dana\"},",
	"    {\"id\": \"SIM-114\", \"service\": \"search\", \"severity\": \"critical\", "
	"\"alertname\": \"SearchDown\", \"symptom\": \"outage\",",
	"     \"title\": \"Search unavailable in eu-west-1\",",
	"     \"impact\": \"+2d05h\", \"fire\": \"+2d05h02m\", \"ack\": \"+2d05h09m\", "
	"\"resolve\": \"+2d06h20m\", \"acked_by\": \"lee\"}",
	"  ]",
	"}",
};

char *
scenario_builtin_text(void)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		buf_addstr(&b, lines[i]);
		buf_addch(&b, '\n');
	}
	return buf_detach(&b);
}
