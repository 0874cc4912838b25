# A Debian base: a user made with useradd, COPY --chown to it by name, a
# cache mount where apt keeps its files, WORKDIR in its home.
FROM debian:bookworm-slim
RUN useradd --create-home --uid 1001 app
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked ls /var/cache/apt > /dev/null
COPY --chown=app:app app.sh /home/app/app.sh
USER app
WORKDIR /home/app
ENTRYPOINT ["/home/app/app.sh"]
