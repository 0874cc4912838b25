# EXPOSE with protocols, a range and a variable; VOLUME in plain and JSON
# form, with content written before and after.
FROM busybox
ARG PORT=8080
EXPOSE 80 443/tcp 53/udp
EXPOSE 9000-9002
EXPOSE ${PORT}
RUN mkdir /data && echo before > /data/before
VOLUME /data
VOLUME ["/cache", "/logs"]
RUN echo after > /data/after
