/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl's manual page (roff) and its bash completion, written from the one
 * command table (control/ctl_protocol.c) at build time, so that neither can
 * name a command or an option kairoctl does not have:
 *
 *   kairoctl-docs man  > kairoctl.8
 *   kairoctl-docs bash > kairoctl          (bash-completion's completions/)
 *
 * A build tool, not installed.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_protocol.h"

/* Topology words kairoctl passes through without "topology" (kairoctl.c, is_topology_command). */
static const char *const topology_words[] = {"bridge", "router", "chain", "port-group",
					     "tunnel-zone", "host", "list", "topo", NULL};

/* Text as roff shows it: backslashes and hyphens escaped, no line starting with a control. */
static void
roff(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void
arg_synopsis(const struct ctl_arg *a)
{
	bool opt = !(a->flags & CTL_ARG_REQUIRED);

	fputs(opt ? " [" : " ", stdout);
	if (a->kind == CTL_ARG_POSITIONAL || a->kind == CTL_ARG_WORDS) {
		printf("\\fI%s\\fR%s", a->meta, a->kind == CTL_ARG_WORDS ? "..." : "");
	} else {
		if (a->short_name != 0)
			printf("\\fB\\-%c\\fR|", a->short_name);
		fputs("\\fB\\-\\-", stdout);
		roff(a->name);
		fputs("\\fR", stdout);
		if (a->meta != NULL)
			printf(" \\fI%s\\fR", a->meta);
	}
	fputs(opt ? "]" : "", stdout);
}

static void
man_command(const struct ctl_command_decl *cmd)
{
	const struct ctl_arg *a;
	unsigned int i;

	fputs(".TP\n\\fB", stdout);
	roff(cmd->words);
	fputs("\\fR", stdout);
	if (cmd->match != NULL)
		fputs(" [\\fIMATCH\\fR]", stdout);
	for (a = cmd->args; a->name != NULL; a++)
		arg_synopsis(a);
	putchar('\n');
	roff(cmd->help);
	printf(" (%s).\n", cmd->access == CTL_READ_ONLY ? "read-only" : "read-write");
	for (a = cmd->args, i = 0; a->name != NULL; a++, i++) {
		fputs(i == 0 ? ".RS\n" : "", stdout);
		fputs(".TP\n", stdout);
		if (a->kind == CTL_ARG_POSITIONAL || a->kind == CTL_ARG_WORDS) {
			printf("\\fI%s\\fR\n", a->meta);
		} else {
			if (a->short_name != 0)
				printf("\\fB\\-%c\\fR, ", a->short_name);
			fputs("\\fB\\-\\-", stdout);
			roff(a->name);
			printf("\\fR%s%s%s\n", a->meta ? " \\fI" : "", a->meta ? a->meta : "",
			       a->meta ? "\\fR" : "");
		}
		roff(a->help);
		putchar('\n');
	}
	if (i > 0)
		fputs(".RE\n", stdout);
}

static void
man_page(void)
{
	const struct ctl_arg *a;
	int id;

	fputs(".\\\" Generated from control/ctl_protocol.c by kairoctl-docs: do not edit.\n"
	      ".TH KAIROCTL 8 \"\" \"Kairo\" \"Kairo\"\n"
	      ".SH NAME\nkairoctl \\- control a running kairod\n"
	      ".SH SYNOPSIS\n\\fBkairoctl\\fR [\\fB\\-\\-socket\\fR \\fIPATH\\fR] "
	      "[\\fB\\-\\-json\\fR] \\fICOMMAND\\fR [\\fIARGUMENTS\\fR]\n"
	      ".SH DESCRIPTION\n\\fBkairoctl\\fR talks to \\fBkairod\\fR(8) over its UNIX "
	      "control socket: it shows the datapath, dumps and flushes flows, traces packets "
	      "(mm\\-trace), reads meters (mm\\-meter) and the event log, adds and removes "
	      "ports, restarts kairod keeping its state, and edits the virtual topology in "
	      "midonet\\-cli's grammar.\n"
	      ".SH OPTIONS\n"
	      ".TP\n\\fB\\-s\\fR, \\fB\\-\\-socket\\fR \\fIPATH\\fR\nthe control socket "
	      "(default /run/kairo/kairod.sock, or $KAIROCTL_SOCKET)\n"
	      ".TP\n\\fB\\-j\\fR, \\fB\\-\\-json\\fR\nprint the reply's result as JSON\n"
	      ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nlist the commands\n"
	      ".SH COMMANDS\n",
	      stdout);
	for (id = 0; id < CTL_CMD_COUNT; id++)
		man_command(&ctl_commands_table[id]);
	fputs(".SS MATCH\nThe flow fields of \\fBdump flows\\fR, \\fBflush flows\\fR and the "
	      "tracers; each one given must match:\n",
	      stdout);
	for (a = ctl_match_args; a->name != NULL; a++) {
		fputs(".TP\n\\fB\\-\\-", stdout);
		roff(a->name);
		printf("\\fR \\fI%s\\fR\n", a->meta);
		roff(a->help);
		putchar('\n');
	}
	fputs(".SS Topology\nThe words of midonet\\-cli, passed to kairod as they are; "
	      "\\fBtopology\\fR (or \\fBtopo\\fR) in front may be left out:\n"
	      ".PP\n.nf\nkairoctl bridge create name left\nkairoctl bridge bridge0 add port\n"
	      "kairoctl router router0 add port address 10.1.0.1 net 10.1.0.0/24\n"
	      "kairoctl chain chain0 add rule ethertype 2048 src !10.0.0.0/16 pos 1 type drop\n"
	      "kairoctl host host0 add binding port bridge0:port0 interface vm1\n"
	      "kairoctl list bridge\n.fi\n"
	      ".SH EXIT STATUS\n0 done; 1 kairod refused the command or the connection; 2 bad "
	      "usage; 3 no kairod to talk to.\n"
	      ".SH ENVIRONMENT\n.TP\n\\fBKAIROCTL_SOCKET\\fR\nthe control socket, unless "
	      "\\fB\\-\\-socket\\fR is given\n"
	      ".SH SEE ALSO\n\\fBkairod\\fR(8); \\fBkairoctl help\\fR \\fICOMMAND\\fR for one "
	      "command's arguments\n",
	      stdout);
}

/* The words of the commands that start with first ("show" → "datapath ports ..."). */
static void
second_words(const char *first)
{
	size_t n = strlen(first);
	int id;

	for (id = 0; id < CTL_CMD_COUNT; id++) {
		const char *w = ctl_commands_table[id].words;

		if (strncmp(w, first, n) == 0 && w[n] == ' ')
			printf(" %s", w + n + 1);
	}
}

static void
bash_completion(void)
{
	char firsts[CTL_CMD_COUNT][32];
	unsigned int n = 0, i;
	int id;

	/* The first word of every command, once. */
	for (id = 0; id < CTL_CMD_COUNT; id++) {
		const char *w = ctl_commands_table[id].words;
		size_t len = strcspn(w, " ");

		for (i = 0; i < n; i++)
			if (strlen(firsts[i]) == len && strncmp(firsts[i], w, len) == 0)
				break;
		if (i == n && len < sizeof(firsts[0]))
			snprintf(firsts[n++], sizeof(firsts[0]), "%.*s", (int)len, w);
	}
	puts("# bash completion for kairoctl: generated from control/ctl_protocol.c by "
	     "kairoctl-docs; do not edit.\n"
	     "_kairoctl()\n{\n"
	     "\tlocal cur=${COMP_WORDS[COMP_CWORD]} i=1 words\n"
	     "\twhile [ $i -lt $COMP_CWORD ]; do\n"
	     "\t\tcase ${COMP_WORDS[i]} in\n"
	     "\t\t-s|--socket) i=$((i + 2)) ;;\n"
	     "\t\t-*) i=$((i + 1)) ;;\n"
	     "\t\t*) break ;;\n"
	     "\t\tesac\n"
	     "\tdone\n"
	     "\tlocal cmd=\"${COMP_WORDS[*]:i:COMP_CWORD-i}\"\n"
	     "\tcase \"$cmd\" in");
	fputs("\t\"\") words=\"--socket --json --help", stdout);
	for (i = 0; i < n; i++)
		printf(" %s", firsts[i]);
	for (i = 0; topology_words[i] != NULL; i++)
		printf(" %s", topology_words[i]);
	puts("\" ;;");
	/* Two-word commands: the second word after the first (not for one-word commands). */
	for (i = 0; i < n; i++) {
		if (ctl_command_find(firsts[i]) >= 0)
			continue;
		printf("\t\"%s\") words=\"", firsts[i]);
		second_words(firsts[i]);
		puts("\" ;;");
	}
	/* Then a command's options (and the MATCH fields where it takes them). */
	for (id = 0; id < CTL_CMD_COUNT; id++) {
		const struct ctl_command_decl *cmd = &ctl_commands_table[id];
		const struct ctl_arg *a;
		unsigned int k;

		printf("\t\"%s\"|\"%s \"*) words=\"", cmd->words, cmd->words);
		for (k = 0; (a = ctl_command_arg(cmd, k)) != NULL; k++)
			if (a->kind != CTL_ARG_POSITIONAL && a->kind != CTL_ARG_WORDS)
				printf(" --%s", a->name);
		puts("\" ;;");
	}
	puts("\t*) return ;;\n"
	     "\tesac\n"
	     "\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	     "}\n"
	     "complete -F _kairoctl kairoctl");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "man") == 0)
		man_page();
	else if (argc == 2 && strcmp(argv[1], "bash") == 0)
		bash_completion();
	else {
		fprintf(stderr, "usage: kairoctl-docs man|bash\n");
		return 2;
	}
	return 0;
}
