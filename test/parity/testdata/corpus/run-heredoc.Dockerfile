# Heredocs in RUN: a script, a named interpreter, a file written by a
# command, tabs stripped with <<-, and two heredocs in one RUN.
FROM busybox
ARG WHO=heredoc
RUN <<EOT
set -e
echo "script by $WHO" > /one
EOT
RUN <<EOT sh
echo "interpreter" > /two
EOT
RUN cat <<EOT > /three
expanded: $WHO
EOT
RUN cat <<'EOT' > /four
not expanded: $WHO
EOT
RUN <<-EOT
	echo "tabs stripped" > /five
	EOT
RUN cat <<A > /six && cat <<B >> /six
first
A
second
B
RUN <<EOT
#!/bin/busybox sh
echo "shebang" > /seven
EOT
