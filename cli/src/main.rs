fn main() {
    println!("promtext");
}
