# Arguments the wrapped entrypoint must keep as they are: spaces, quotes, $,
# an empty string, --, a leading dash, non-ASCII, and a JSON escape.
FROM busybox
ENTRYPOINT ["/bin/echo", "two words", "it's \"quoted\"", "$HOME", "", "--", "-n", "héllo wörld", "tab\there"]
CMD ["--", "--trigger=/not/an/option"]
