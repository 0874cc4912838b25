# LABEL forms (several per line, quoted keys and values, over lines, from a
# variable), overriding a base's label, and the deprecated MAINTAINER.
FROM busybox AS base
LABEL org.example.base="base" org.example.override=old

FROM base
ARG REV=abc123
MAINTAINER Parity Test <parity@example.com>
LABEL org.example.override=new "org.example.with space"="a value with spaces" \
      org.example.revision=${REV}
LABEL org.example.multiline="first line \
continued"
LABEL org.example.empty=""
