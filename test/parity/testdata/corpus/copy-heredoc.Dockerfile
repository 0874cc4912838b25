# COPY of heredocs: expanded, quoted, with --chmod, two files at once.
FROM busybox
ARG NAME=config
COPY <<EOT /etc/app/$NAME.conf
name = $NAME
EOT
COPY <<'EOT' /etc/app/raw.conf
kept as is: $NAME
EOT
COPY --chmod=0755 <<EOT /usr/local/bin/greet
#!/bin/sh
echo hello
EOT
COPY <<A <<B /etc/app/
first
A
second
B
ENTRYPOINT ["/usr/local/bin/greet"]
