# ENV forms and variable expansion in instructions.
FROM busybox
ARG NAME=world
ARG EMPTY=
ENV GREETING="hello ${NAME}" \
    DEFAULTED=${UNSET:-fallback} \
    ALTERNATE=${NAME:+set} \
    EMPTYALT=${EMPTY:+never}
ENV LEGACY legacy form value
ENV PATH=/opt/app/bin:$PATH
ENV PREFIX="${GREETING#hello }" SUFFIX=${GREETING%world} REPLACED=${GREETING/world/there} \
    ALL=${GREETING//o/0} LONGEST=${GREETING##*l}
WORKDIR /opt/${NAME}
RUN echo "$GREETING|$DEFAULTED|$ALTERNATE|$EMPTYALT|$LEGACY|$PREFIX|$SUFFIX|$REPLACED|$ALL|$LONGEST" > env.txt
CMD echo $GREETING
