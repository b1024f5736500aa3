package io.github.elasticimage.loadtest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WorkloadTest {

    private static Map<String, String> read(String csv) throws IOException {
        return Workload.readExpected(csv.getBytes(StandardCharsets.UTF_8), "test.csv");
    }

    @Test
    void expectedLabelsWithOrWithoutHeaderAndQuotedFields() throws IOException {
        assertEquals(Map.of("a.png", "espresso", "b.png", "Egyptian Mau"), read("a.png,espresso\nb.png,Egyptian Mau\n"));
        // The fixtures' layout: a header naming the label column, quoted fields with commas.
        assertEquals(Map.of("n1_x.JPEG", "tench, Tinca tinca"),
                read("file,wnid,label\n\"n1_x.JPEG\",n1,\"tench, Tinca tinca\"\n"));
        assertThrows(IOException.class, () -> read("file,label\nonly-a-file.png\n"));
    }

    @Test
    void labelOfStripsTheStemThatTheInputFileFieldAdds() {
        Image image = new Image("test_0.jpg", new byte[0]);
        assertEquals("bathtub", LoadRunner.labelOf("test_0:bathtub", "inputFile", image));
        assertEquals("espresso", LoadRunner.labelOf("espresso", "myfile", image));
        assertEquals("espresso", LoadRunner.labelOf("{\"id\":\"1\",\"label\":\"espresso\"}", "myfile", image));
    }
}
