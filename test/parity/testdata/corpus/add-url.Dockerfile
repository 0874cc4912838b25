# ADD of URLs (the test serves them): --checksum, --chmod, --chown, and
# --unpack of an archive (a URL's archive is not extracted by default).
FROM busybox
ARG HTTP
ADD --checksum=sha256:5682341983eca613a46bfe1cef783ef0fbedce31d74547ab71153500b4950d6f ${HTTP}/served.txt /served.txt
ADD --chmod=0644 --chown=1000:1000 ${HTTP}/served.txt /served/
ADD ${HTTP}/archive.tar.gz /kept/
ADD --unpack=true ${HTTP}/archive.tar.gz /unpacked/
